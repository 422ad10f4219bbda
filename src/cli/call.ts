// `didml call <app>`: one call against an app on the mock backend, in virtual time.
// The runtime is loaded when the command runs, so that `didml lint` does not pay for it at start.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { AgentTurn, CallerAction, CallerOpportunity, CalleeBehaviour, MockCallScript } from '../telephony/mock/index.js';
import { formatEvent } from '../testing/transcript-text.js';
import { describeSigningToken } from '../webhook/signature.js';
import type { Io } from './main.js';
import { appDefaults, type AppDefaults } from '../config/index.js';

/** Which config a call or runtime took its documents' settings from, and what they are. */
export function describeDefaults(d: AppDefaults, used: readonly (keyof AppDefaults)[] = ['dialect', 'strictness']): string {
  const said = used.filter((k) => d[k] !== undefined).map((k) => `${k} ${String(d[k])}`);
  return `${d.configFile}${said.length ? `: ${said.join(', ')}` : ' (sets nothing used here)'}`;
}

const CALLEE: Record<string, CalleeBehaviour> = {
  answer: { response: 'answer' },
  busy: { response: 'busy' },
  'no-answer': { response: 'no-answer' },
  failed: { response: 503 },
};

function header(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('write a header as "X-Name: value"');
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

/**
 * `--agent-turn`: what the caller does next in a conversation with the agent (`--agent`): a WAV
 * file (`hello.wav`), keys (`keys:12#`), silence (`silence:2`), `hangup`, or else words said.
 */
function agentTurn(value: string): AgentTurn {
  if (/\.wav$/i.test(value)) return { audio: value };
  if (value === 'hangup') return { hangup: true };
  const keys = /^keys:([0-9*#]+)$/.exec(value);
  if (keys) return { digits: keys[1]! };
  const silence = /^silence:(\d+(?:\.\d+)?)$/.exec(value);
  if (silence) return { silence: Number(silence[1]) };
  if (/^(keys|silence):/.test(value)) throw new InvalidArgumentError(`"${value}": write keys:12# (0-9, *, #) or silence:<seconds>`);
  return { speech: value };
}

/** `--record 12` or `--record 12#`: talk 12 s from the beep (then press #). */
function recordAction(value: string): CallerAction {
  const m = /^(\d+(?:\.\d+)?)\s*([0-9*#]?)$/.exec(value);
  const seconds = m ? Number(m[1]) : NaN;
  if (!m || !(seconds > 0)) throw new InvalidArgumentError(`"${value}": give the seconds the caller talks, above 0, optionally followed by a key (12, 12#)`);
  return { record: seconds, ...(m[2] ? { digits: m[2] } : {}) };
}

interface CallOptions {
  from?: string;
  to?: string;
  header: Record<string, string>;
  method: 'GET' | 'POST';
  callee?: string;
  authToken?: string;
  json: boolean;
  input: boolean;
  hangupAfter?: number;
  strict: boolean;
  lenient: boolean;
  agent?: string;
  agentTurn?: AgentTurn[];
  agentSave?: string;
  agentTimeout?: number;
}

export function callCommand(io: Io, setExit: (code: number) => void): Command {
  // --digits, --speech and --record share one list, in the order given: what the caller does at each Gather and Record.
  const caller: CallerAction[] = [];
  const push = (make: (v: string) => CallerAction) => (value: string) => {
    for (const part of value.split(',')) caller.push(make(part.trim()));
    return caller.length;
  };
  // What every answering callee presses while the app screens it (<Number url>).
  const calleeKeys: CallerAction[] = [];
  return new Command('call')
    .description('run one call against an app (URL, folder of XML documents, or file) on the mock backend')
    // An added command does not inherit these from the program: a bad option value must come back
    // to main() as exit code 2 with its message, not end the process.
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .argument('<app>', 'app URL, folder (voice.xml answers first; menu.xml answers /menu) or XML file')
    .option('--from <number>', 'the caller (number or SIP URI)')
    .option('--to <number>', 'the number called')
    .option('--header <"X-Name: value">', 'a header of the inbound INVITE (repeatable)', header, {})
    .addOption(new Option('--method <method>', 'how the app is requested').choices(['GET', 'POST']).default('POST'))
    .option('--digits <keys>', 'what the caller presses at the next gather (repeatable; commas separate gathers)', push((digits) => ({ digits })))
    .option('--speech <words>', 'what the caller says at the next gather (repeatable)', push((speech) => ({ speech })))
    .option('--record <seconds>', 'what the caller says at the next record: a message this many seconds long, then optionally a key (12, 12#; repeatable, commas separate records)', push(recordAction))
    .addOption(new Option('--callee <behaviour>', 'what every dialled party does').choices(Object.keys(CALLEE)))
    .option('--callee-digits <keys>', 'what an answering callee presses while the app screens it (<Number url>; commas separate gathers)', (value: string) => {
      for (const part of value.split(',')) calleeKeys.push({ digits: part.trim() });
      return calleeKeys.length;
    })
    .option('--hangup-after <seconds>', 'the caller hangs up after this many seconds', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new InvalidArgumentError('must be a number of seconds above 0');
      return n;
    })
    .option('--auth-token <token>', 'the token that signs webhooks (X-Twilio-Signature; default: $DIDML_AUTH_TOKEN, else the development token)')
    .addOption(new Option('--strict', 'a document recovered from malformed XML fails, even in DIDML').default(false))
    .addOption(new Option('--lenient', 'a document recovered from malformed XML runs, even in TwiML (whose engine refuses it: 12100)').default(false).conflicts('strict'))
    .option('--agent <ws-url>', "a real agent: the document's <Stream> and <ConversationRelay> connect to this websocket (ws:// or wss://) and the conversation is printed as it goes")
    .option('--agent-turn <turn>', 'what the caller does next with the agent (repeatable): words, a .wav file, keys:12#, silence:2 or hangup', (v: string, prev: AgentTurn[] = []) => [...prev, agentTurn(v)])
    .option('--agent-save <file.wav>', "save what a Media Streams agent said as a WAV file")
    .option('--agent-timeout <seconds>', 'real seconds to wait for the agent to open and to answer (default 5)', (v) => {
      const n = Number(v);
      if (!(n > 0 && n <= 600)) throw new InvalidArgumentError('must be seconds above 0, at most 600');
      return n;
    })
    .option('--json', 'print the transcript as JSON', false)
    .option('--no-input', 'never ask at the terminal: once the scripted input runs out, the caller is silent')
    .action(async (app: string, o: CallOptions) => {
      if (o.agent === undefined && (o.agentTurn || o.agentSave !== undefined || o.agentTimeout !== undefined)) {
        io.err('didml call: --agent-turn, --agent-save and --agent-timeout are for a conversation with a real agent; give its websocket with --agent ws://…\n');
        setExit(2);
        return;
      }
      const script: MockCallScript = {
        ...(o.from ? { from: o.from } : {}),
        ...(o.to ? { to: o.to } : {}),
        headers: o.header,
        caller,
        ...(o.callee || calleeKeys.length ? { callees: { '*': { ...(o.callee ? CALLEE[o.callee]! : {}), ...(calleeKeys.length ? { actions: calleeKeys } : {}) } } } : {}),
        ...(o.hangupAfter ? { hangupAfter: o.hangupAfter } : {}),
        ...(o.agent !== undefined
          ? {
              agent: {
                url: o.agent,
                ...(o.agentTurn ? { caller: o.agentTurn } : {}),
                ...(o.agentSave !== undefined ? { saveAudio: o.agentSave } : {}),
                ...(o.agentTimeout !== undefined ? { timeout: o.agentTimeout } : {}),
              },
            }
          : {}),
      };
      const authToken = o.authToken ?? process.env['DIDML_AUTH_TOKEN'];
      // Every request is signed, as Twilio's are; say with which token, where it cannot mix with the transcript.
      io.err(`didml call: ${describeSigningToken(o.authToken ? 'option' : authToken ? 'env' : 'development')}\n`);
      let result;
      try {
        const { simulateCall } = await import('../runtime/simulate.js');
        // The lint config of the app's folder gives its dialect and strictness; --strict/--lenient win.
        const defaults = appDefaults(app);
        if (defaults) io.err(`didml call: ${describeDefaults(defaults)}\n`);
        const strictness = o.strict ? 'strict' : o.lenient ? 'lenient' : defaults?.strictness;
        result = await simulateCall({
          app: { url: app, method: o.method, ...(defaults?.dialect ? { dialect: defaults.dialect } : {}), ...(strictness ? { strictness } : {}) },
          call: script,
          ...(authToken ? { authToken } : {}),
          ...(io.ask && o.input && !o.json ? { ask: terminalCaller(io.ask) } : {}),
          ...(o.json
            ? {}
            : {
                onEvent: (e) => {
                  const line = formatEvent(e);
                  if (line !== null) io.out(line + '\n');
                },
              }),
        });
      } catch (e) {
        io.err(`didml call: ${(e as Error).message}\n`);
        setExit(2);
        return;
      }
      const { summary, events } = result;
      if (o.json) io.out(JSON.stringify({ callSid: summary.callSid, status: summary.status, duration: summary.duration, reason: summary.reason, errors: summary.errors, events }, null, 2) + '\n');
      // The call ran; an app that failed along the way is an error for CI.
      setExit(summary.errors.length ? 1 : 0);
    });
}

/**
 * The person at the terminal as the caller: asked what to do at each Gather, Record, or Dial
 * with hangupOnStar, once the --digits/--speech given have run out.
 */
export function terminalCaller(ask: (q: string) => Promise<string | null>) {
  const QUESTIONS: Record<CallerOpportunity, string> = {
    gather: '  caller> keys to press (1#), words to say, Enter for silence, h to hang up: ',
    record: '  caller> seconds to talk then a key (5 #), Enter for silence, h to hang up: ',
    dial: '  caller> keys during the call (* ends it), Enter for none, h to hang up: ',
  };
  return async (at: CallerOpportunity): Promise<CallerAction | undefined> => {
    const answer = (await ask(QUESTIONS[at]))?.trim();
    if (answer === undefined || answer === null) return { hangup: true };
    if (answer === '') return { silence: true };
    if (answer === 'h') return { hangup: true };
    if (at === 'record') {
      const m = /^(\d+(?:\.\d+)?)\s*([0-9*#]*)$/.exec(answer);
      if (m) return { record: Number(m[1]), ...(m[2] ? { digits: m[2] } : {}) };
    }
    return /^[0-9*#w]+$/i.test(answer) ? { digits: answer } : { speech: answer };
  };
}
