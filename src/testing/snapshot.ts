// A call's transcript as a snapshot: one line per event, as `didml call` prints it, with the
// time to the millisecond and what each webhook asked beyond the call's identity. Stable from run
// to run: virtual time, ids from counters, and nothing that depends on real time (the results of
// status callbacks, which arrive whenever the network answers, are left out; so is each
// callback's Timestamp).
import { basename } from 'node:path';
import type { TranscriptEvent } from '../telephony/mock/index.js';
import { formatEvent } from './transcript-text.js';
import { line, type Failure } from './match.js';

/**
 * Parameters every request about the call carries: shown once on the inbound (or outbound) line,
 * not per webhook; a placed call's AnsweredBy on the machine detection line.
 */
const IDENTITY = /^(AccountSid|ApiVersion|CallSid|callSid|Called|Caller|CallerName|Direction|From|To|SipCallId|SipSourceIp|SipHeader_.*|AnsweredBy)$/;

/** Whether an event belongs in a snapshot (callback failures come whenever the network answers). */
export function isStable(e: TranscriptEvent): boolean {
  return !(e.type === 'error' && typeof e['message'] === 'string' && e['message'].startsWith('callback to '));
}

function text(e: TranscriptEvent): string | null {
  switch (e.type) {
    case 'inbound': {
      const headers = Object.entries((e['headers'] as Record<string, string> | undefined) ?? {}).map(([k, v]) => `${k}: ${v}`);
      return `call from ${String(e['fromUri'] ?? e['from'])} to ${String(e['toUri'] ?? e['to'])}${headers.length ? ` [${headers.join(', ')}]` : ''}`;
    }
    case 'webhook': {
      const params = Object.entries((e['params'] as Record<string, string> | undefined) ?? {})
        .filter(([k]) => !IDENTITY.test(k))
        .map(([k, v]) => `${k}=${v}`);
      return `${line(e)}${params.length ? ` ${params.join(' ')}` : ''}`;
    }
    case 'dial-attempt':
      return e['username'] !== undefined ? `  INVITE again with credentials of ${String(e['username'])}` : null;
    // A real agent's address (a server started on any free port) and the files of its turns (made
    // absolute for the run) differ from run to run and machine to machine: the snapshot names them
    // by what stays.
    case 'stream':
    case 'stream-start':
      return e['agent'] ? line({ ...e, url: 'the scripted agent' }) : line(e);
    case 'caller-audio':
    case 'agent-audio-saved':
      return line({ ...e, file: basename(String(e['file'])) });
    default:
      return formatEvent(e) === null ? null : line(e);
  }
}

/** The snapshot of a transcript: `"4.320s say \"Connecting you to sales.\""`, one per event shown. */
export function snapshotLines(events: readonly TranscriptEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (!isStable(e)) continue;
    const t = text(e);
    if (t !== null) out.push(`${(e.t / 1000).toFixed(3)}s ${t}`);
  }
  return out;
}

/** A failure when the call's snapshot differs from the one recorded; undefined when equal. */
export function compareSnapshot(recorded: readonly string[], observed: readonly string[]): Failure | undefined {
  let i = 0;
  while (i < recorded.length && i < observed.length && recorded[i] === observed[i]) i++;
  if (i === recorded.length && i === observed.length) return undefined;
  const show = (lines: readonly string[]) => (i < lines.length ? `line ${i + 1}: ${lines[i]}` : `no line ${i + 1} (${lines.length} lines in all)`);
  const diff: string[] = [];
  for (let k = Math.max(0, i - 2); k < i; k++) diff.push(`  ${recorded[k]}`);
  for (let k = i; k < Math.min(recorded.length, i + 3); k++) diff.push(`- ${recorded[k]}`);
  for (let k = i; k < Math.min(observed.length, i + 3); k++) diff.push(`+ ${observed[k]}`);
  return {
    title: 'snapshot: the call went differently from the recorded transcript (run didml test --update to accept the new one)',
    expected: show(recorded),
    happened: show(observed),
    excerpt: diff,
  };
}
