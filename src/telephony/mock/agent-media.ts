// <Connect><Stream> to a real agent on the mock (a <Start><Stream> fork: agent-fork.ts), in Twilio's Media Streams
// protocol: the one implementation the drachtio backend speaks too (src/media/twilio-stream.ts).
// The caller's turns are WAV files (converted to 8 kHz μ-law), silence and keys; what the agent
// sends is collected as it comes and played, turn by turn, in virtual time (agent.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { tracksOf, TwilioMediaStream, type AudioPort } from '../../media/twilio-stream.js';
import { MULAW_SILENCE, mulawToWav, wavToMulaw } from '../../media/wav.js';
import { FRAME } from '../../media/rtp.js';
import type { StreamOptions } from '../adapter.js';
import { AgentInbox } from './agent-inbox.js';
import { agentUrl, converse, type AgentLink } from './agent.js';
import type { LegContext } from './operation.js';
import { DTMF_MS, type AgentScript } from './script.js';

/** μ-law bytes per millisecond. */
const BYTES_PER_MS = 8;

type Queued = Buffer | { mark: () => void; name?: string };

/** Most audio one agent turn may hold (10 minutes), and a saved WAV (an hour): a peer that floods cannot exhaust memory. */
export const MAX_TURN_BYTES = 8000 * 600;
const MAX_SAVED_BYTES = 8000 * 3600;

/** Where the agent's audio goes: held until its turn plays, as the caller's phone would play it. */
class CollectingPort implements AudioPort {
  queue: Queued[] = [];
  cleared = 0;
  bytes = 0;
  /** Bytes dropped past MAX_TURN_BYTES in this turn. */
  dropped = 0;
  play(mulaw: Buffer): void {
    if (this.bytes + mulaw.length > MAX_TURN_BYTES) {
      this.dropped += mulaw.length;
      return;
    }
    this.bytes += mulaw.length;
    this.queue.push(mulaw);
  }
  mark(reached: () => void): void {
    this.queue.push({ mark: reached });
  }
  clear(): void {
    // What has not played yet is dropped; its marks are reached at once (as RtpSession does).
    const dropped = this.queue;
    this.queue = [];
    this.bytes = 0;
    this.cleared++;
    for (const q of dropped) if (!Buffer.isBuffer(q)) q.mark();
  }
  /** Names the newest mark (the protocol tells the port of a mark before it tells us its name). */
  name(name: string): void {
    const last = this.queue.at(-1);
    if (last && !Buffer.isBuffer(last)) last.name = name;
  }
}

function frames(mulaw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < mulaw.length; i += FRAME) {
    const f = Buffer.alloc(FRAME, MULAW_SILENCE);
    mulaw.copy(f, 0, i, Math.min(mulaw.length, i + FRAME));
    out.push(f);
  }
  return out;
}

/** Where a stream goes and what its start message says: the same for a <Connect> link and a <Start> fork. */
export function streamTarget(ctx: LegContext, o: StreamOptions, agent: AgentScript, timeoutMs: number) {
  return {
    url: agentUrl(o, agent),
    accountSid: o.accountSid ?? '',
    callSid: o.callSid ?? '',
    streamSid: o.streamSid ?? '',
    parameters: o.parameters,
    tracks: tracksOf(o.track),
    connectTimeoutMs: timeoutMs,
    ...(ctx.hosts ? { hosts: ctx.hosts } : {}),
  };
}

/** Opens the agent's websocket in Twilio's Media Streams protocol. */
async function openMediaLink(ctx: LegContext, o: StreamOptions, agent: AgentScript, timeoutMs: number, inbox: AgentInbox): Promise<AgentLink> {
  const port = new CollectingPort();
  const said: Buffer[] = [];
  let marksReached: (() => void)[] = [];
  const stream = await TwilioMediaStream.open({
    ...streamTarget(ctx, o, agent, timeoutMs),
    onAppMessage: (m) => {
      if (m.event === 'mark' && 'mark' in m && typeof m.mark?.name === 'string') port.name(m.mark.name);
      inbox.note();
    },
  });
  stream.attach(port);
  void stream.closed.then(() => inbox.close());
  return {
    inbox,
    async callerTurn(turn) {
      if ('audio' in turn) {
        const file = resolve(turn.audio);
        let mulaw: Buffer;
        try {
          mulaw = wavToMulaw(await ctx.clock.io(readFile(file)), turn.audio);
        } catch (e) {
          ctx.emit({ type: 'script', warning: `agent.caller audio ${turn.audio}: ${(e as Error).message}` });
          return { ms: 0, answer: false };
        }
        const list = frames(mulaw);
        ctx.emit({ type: 'caller-audio', file: turn.audio, duration: (list.length * FRAME) / BYTES_PER_MS / 1000 });
        ctx.sound.audio('inbound', mulaw);
        for (const f of list) stream.audio(f);
        return { ms: (list.length * FRAME) / BYTES_PER_MS, answer: true };
      }
      if ('silence' in turn) {
        const count = Math.round((turn.silence * 1000) / 20);
        const f = Buffer.alloc(FRAME, MULAW_SILENCE);
        ctx.emit({ type: 'caller-silence', seconds: turn.silence });
        for (let i = 0; i < count; i++) stream.audio(f);
        return { ms: count * 20, answer: false };
      }
      if ('digits' in turn) {
        ctx.emit({ type: 'digits', digits: turn.digits });
        for (const key of turn.digits) stream.dtmf(key);
        return { ms: turn.digits.length * DTMF_MS, answer: true };
      }
      ctx.emit({ type: 'script', warning: `agent.caller: "${turn.speech}" is speech, which a Media Streams agent cannot hear; give it a WAV file ({"audio": "words.wav"})` });
      return { ms: 0, answer: false };
    },
    agentTurn() {
      let bytes = 0;
      let kept = said.reduce((n, b) => n + b.length, 0);
      const marks: string[] = [];
      const turn: Buffer[] = [];
      marksReached = [];
      for (const q of port.queue) {
        if (Buffer.isBuffer(q)) {
          bytes += q.length;
          turn.push(q);
          if (agent.saveAudio !== undefined && kept + q.length <= MAX_SAVED_BYTES) {
            said.push(q);
            kept += q.length;
          }
        } else {
          if (q.name !== undefined) marks.push(q.name);
          marksReached.push(q.mark);
        }
      }
      port.queue = [];
      port.bytes = 0;
      if (port.dropped) {
        ctx.emit({ type: 'script', warning: `the agent sent more than ${MAX_TURN_BYTES / 8000} s of audio in one turn: the ${port.dropped / 8000} s past that were dropped` });
        port.dropped = 0;
      }
      const cleared = port.cleared;
      port.cleared = 0;
      ctx.emit({ type: 'agent', audio: bytes / BYTES_PER_MS / 1000, ...(marks.length ? { marks } : {}), ...(cleared ? { cleared } : {}) });
      // It plays from now: what a fork of the call hears outbound.
      ctx.sound.audio('outbound', Buffer.concat(turn));
      return Math.round(bytes / BYTES_PER_MS);
    },
    played() {
      for (const reached of marksReached) reached();
      marksReached = [];
    },
    stop() {
      stream.stop();
      ctx.sound.silence('inbound');
      ctx.sound.silence('outbound');
      if (agent.saveAudio === undefined) return;
      const path = resolve(agent.saveAudio);
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, mulawToWav(Buffer.concat(said)));
        ctx.emit({ type: 'agent-audio-saved', file: agent.saveAudio, duration: said.reduce((n, b) => n + b.length, 0) / BYTES_PER_MS / 1000 });
      } catch (e) {
        ctx.emit({ type: 'script', warning: `agent.saveAudio ${agent.saveAudio}: ${(e as Error).message}` });
      }
    },
  };
}

/** <Connect><Stream> to the script's agent. */
export function connectAgentStream(ctx: LegContext, o: StreamOptions, agent: AgentScript, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  const inbox = new AgentInbox();
  return converse({ ctx, o, agent, inbox, ...(signal ? { signal } : {}), open: (timeoutMs) => openMediaLink(ctx, o, agent, timeoutMs, inbox) });
}

