// didml call --record: what the caller says at the next <Record>, so a call without a terminal
// can leave a voicemail; in one list with --digits and --speech, in the order given.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-record-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

type Event = { t: number; type: string; [k: string]: unknown };

const MAILBOX = {
  'voice.xml': '<Response><Gather numDigits="1" action="menu"><Say>Press 2 for voicemail.</Say></Gather></Response>',
  'menu.xml': '<Response><Say>Leave a message after the beep.</Say><Record maxLength="60" finishOnKey="#" action="saved"/></Response>',
  'saved.xml': '<Response><Say>Thanks, goodbye.</Say><Hangup/></Response>',
};

describe('didml call --record', () => {
  it('leaves a message of that length at the next Record, after the --digits given before it', async () => {
    const r = await cli(['call', app(MAILBOX), '--digits', '2', '--record', '12', '--json', '--no-input']);
    expect(r.code).toBe(0);
    const { events } = JSON.parse(r.out) as { events: Event[] };
    expect(events.find((e) => e.type === 'gather-end')).toMatchObject({ digits: '2' });
    expect(events.find((e) => e.type === 'record-end')).toMatchObject({ duration: 12, endedBy: 'silence' });
    const saved = events.find((e) => e.type === 'webhook' && String(e['url']).endsWith('/saved'))!;
    expect(saved['params']).toMatchObject({ RecordingDuration: '12' });
  });

  it('a key after the seconds ends the recording with it', async () => {
    const r = await cli(['call', app(MAILBOX), '--digits', '2', '--record', '7#', '--json', '--no-input']);
    const { events } = JSON.parse(r.out) as { events: Event[] };
    expect(events.find((e) => e.type === 'record-end')).toMatchObject({ duration: 7, digits: '#', endedBy: 'key' });
  });

  it('without --record a non-interactive caller stays silent at the Record (no message)', async () => {
    const r = await cli(['call', app(MAILBOX), '--digits', '2', '--json', '--no-input']);
    const { events } = JSON.parse(r.out) as { events: Event[] };
    expect(events.find((e) => e.type === 'record-end')?.['duration']).not.toBe(12);
  });

  it('refuses a value that is not seconds, saying what to write', async () => {
    const r = await cli(['call', app(MAILBOX), '--record', 'hello', '--no-input']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('"hello": give the seconds the caller talks, above 0, optionally followed by a key (12, 12#)');
  });
});
