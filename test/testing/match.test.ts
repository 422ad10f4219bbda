// How steps meet a transcript, on small transcripts written by hand: the next event of its kind
// by default, `later`, `not`, a step that takes time standing where it ends, dial targets,
// values (exact, contains, regex, absent, numbers as text) and `at`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenario, findScenarios, matchSteps, type Step, type TranscriptEvent } from '../../src/testing/index.js';
import { layoutJson } from '../../src/testing/layout.js';
import { jsonErrorAt } from '../../src/testing/json-error.js';

let t = 0;
const ev = (type: string, fields: Record<string, unknown> = {}, at?: number): TranscriptEvent => ({ t: at ?? (t += 1000), type, ...fields });
const say = (text: string) => ev('say', { text, voice: 'man', language: 'en-US', loop: 1 });

function call(): TranscriptEvent[] {
  t = 0;
  return [
    ev('inbound', { from: '+1', to: '+2', headers: {} }, 0),
    ev('gather', { dtmf: true, speech: false, timeout: 5, numDigits: 1, finishOnKey: '#', bargeIn: true }, 0),
    say('Press 1'),
    ev('digits', { digits: '1' }),
    ev('gather-end', { digits: '1', finishedOnKey: '', endedBy: 'num-digits' }),
    say('Connecting'),
    ev('dial', { targets: [{ kind: 'number', number: '+15550001' }, { kind: 'sip', uri: 'sip:a@pbx', headers: { 'X-A': '1' } }], sequential: false, timeout: 30, callerId: '+1' }),
    ev('dial-response', { callId: 'c1', sipResponseCode: 486, status: 'busy' }),
    ev('dial-response', { callId: 'c2', sipResponseCode: 200, status: 'answered' }),
    ev('dial-end', { status: 'completed', duration: 30, sipResponseCode: 200 }),
    say('Goodbye'),
    ev('hangup', { by: 'app' }),
    ev('end', { status: 'completed', reason: '<Hangup>' }),
  ];
}

const failuresOf = (steps: Step[]) => matchSteps(call(), steps).failures.map((f) => f.happened);
const passes = (steps: Step[]) => expect(failuresOf(steps)).toEqual([]);

describe('whose side a step is on', () => {
  const screened = (): TranscriptEvent[] => [
    ev('inbound', { from: '+1', to: '+2', headers: {} }, 0),
    ev('say', { text: 'Please hold', voice: 'man', language: 'en-US', loop: 1 }, 0),
    ev('say', { text: 'Call for you', voice: 'man', language: 'en-US', loop: 1, leg: 'c1' }, 1000),
    ev('say', { text: 'Goodbye', voice: 'man', language: 'en-US', loop: 1 }, 2000),
  ];
  it('matches the caller\'s events by default and a screened callee\'s with on: callee', () => {
    expect(matchSteps(screened(), [{ say: 'Please hold' }, { say: 'Goodbye' }]).failures).toEqual([]);
    expect(matchSteps(screened(), [{ say: 'Call for you', on: 'callee' }]).failures).toEqual([]);
    expect(matchSteps(screened(), [{ say: 'Call for you' }]).failures.map((f) => f.happened)).toEqual(['the next say (at 0 s) differs: text is "Please hold" (expected "Call for you")']);
    expect(matchSteps(screened(), [{ say: 'Goodbye', on: 'callee' }]).failures).toHaveLength(1);
  });
});

describe('matching steps', () => {
  it('looks at the next event of its kind: a say nobody expected in between is noticed', () => {
    passes([{ say: 'Press 1' }, { say: 'Connecting' }, { say: 'Goodbye' }]);
    expect(failuresOf([{ say: 'Press 1' }, { say: 'Goodbye' }])).toEqual(['the next say (at 4 s) differs: text is "Connecting" (expected "Goodbye")']);
  });

  it('with later, looks further on; never back', () => {
    passes([{ say: 'Press 1' }, { say: 'Goodbye', later: true }]);
    expect(failuresOf([{ say: 'Goodbye', later: true }, { say: 'Connecting', later: true }])[0]).toMatch(/^no say after step 1 .*One came earlier, at 4 s/);
  });

  it('with not, finds nothing matching after the previous step, and does not move', () => {
    passes([{ say: 'Press 1' }, { say: 'Press 1', not: true }, { say: 'Connecting' }]);
    expect(failuresOf([{ say: 'Press 1' }, { say: { contains: 'Good' }, not: true }])).toEqual(['at 9 s: say "Goodbye"']);
    expect(failuresOf([{ dial: { status: 'completed' }, not: true }])).toEqual(['at 5 s: dial +15550001, sip:a@pbx [X-A: 1]']);
  });

  it('a step that takes time stands where it ends: its prompts come before it, its outcome is in it', () => {
    passes([{ say: 'Press 1' }, { gather: { digits: '1', numDigits: 1, endedBy: 'num-digits' } }, { say: 'Connecting' }]);
    passes([{ gather: { input: 'dtmf' } }, { say: 'Connecting' }]);
    expect(failuresOf([{ gather: true }, { say: 'Press 1' }])).toEqual(['the next say (at 4 s) differs: text is "Connecting" (expected "Press 1")']);
    passes([{ event: { type: 'dial-response', sipResponseCode: 486 } }, { dial: { status: 'completed' } }, { say: 'Goodbye' }]);
  });

  it('a dial: one target among them, or the exact list; headers of the target named; every response in order', () => {
    passes([{ dial: '+15550001' }]);
    passes([{ dial: { to: 'sip:a@pbx', headers: { 'X-A': '1', 'X-B': null } } }]);
    passes([{ dial: { to: ['+15550001', 'sip:a@pbx'], responses: [486, 200], status: 'completed', duration: 30, recording: null } }]);
    expect(failuresOf([{ dial: { to: '+15550001', headers: { 'X-A': '1' } } }])).toEqual(['the next dial (at 5 s) differs: headers.X-A is absent (expected "1")']);
    expect(failuresOf([{ dial: { to: 'sip:b@pbx' } }])).toEqual(['the next dial (at 5 s) differs: to is ["+15550001","sip:a@pbx"] (expected "sip:b@pbx")']);
    expect(failuresOf([{ dial: { to: ['sip:a@pbx', '+15550001'] } }])).toEqual([
      'the next dial (at 5 s) differs: to is ["+15550001","sip:a@pbx"] (expected ["sip:a@pbx", "+15550001"])',
    ]);
  });

  it('values: exact text, contains, regex with flags, null for absent, numbers and text alike, at in seconds', () => {
    passes([{ say: { contains: 'onnect' }, later: true }]);
    passes([{ say: { regex: '^press \\d$', flags: 'i' } }]);
    passes([{ dial: { sipResponseCode: '200', timeout: '30', callerId: '+1' } }]);
    passes([{ say: 'Connecting', later: true, at: 4 }]);
    expect(failuresOf([{ say: 'Press 1', at: 2.5 }])).toEqual(['the next say (at 1 s) differs: at is 1 (expected 2.5)']);
    expect(failuresOf([{ hangup: { by: 'app', reason: null } }])).toEqual([]);
    expect(failuresOf([{ hangup: 'caller' }])).toEqual(['the next hangup (at 10 s) differs: by is "app" (expected "caller")']);
  });

  it('the final status is the end of the call', () => {
    passes([{ status: 'completed' }]);
    passes([{ status: { status: 'completed', reason: { contains: 'Hangup' }, duration: 11 } }]);
    expect(failuresOf([{ status: 'busy' }])).toEqual(['the call ended at 11 s (completed: <Hangup>): status is "completed" (expected "busy")']);
  });

  it('stops at the first step that fails, naming it', () => {
    const r = matchSteps(call(), [{ say: 'Press 1' }, { say: 'Nope' }, { say: 'Goodbye' }]);
    expect(r.failures.map((f) => f.title)).toEqual(['step 2 of 3: say "Nope"']);
    expect(r.failures[0]!.excerpt).toContain('>     4.0s  say "Connecting"');
  });
});

describe('scenario files', () => {
  it('every fixture is laid out as --update writes it, so that an update changes its snapshot only', () => {
    const root = join(import.meta.dirname, '../../fixtures');
    const { files } = findScenarios([join(root, 'flows'), join(root, 'flows-failing/expectations')]);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(layoutJson(JSON.parse(text)), f).toBe(text);
    }
  });

  it('a misplaced value is reported at its key with the forms it may take', () => {
    const r = checkScenario({ app: 'x', call: { refer: { response: '202' } }, expect: [{ webhook: { params: { Digits: ['1'] } } }, { say: 'x', at: -1 }] });
    expect(r).toEqual({
      ok: false,
      problems: [
        'call.refer.response: must be an integer',
        'expect[0].webhook.params.Digits: must be a string (matched exactly), a number, true/false, null (absent), {"contains": "…"} or {"regex": "…"}',
        'expect[1].at: must be >= 0',
      ],
    });
  });

  it('JSON mistakes are found at their line and column', () => {
    expect(jsonErrorAt('{\n  "a": 1,\n}')).toEqual({ line: 3, column: 1, found: '"}"' });
    expect(jsonErrorAt('{"a": "b\n"}')).toEqual({ line: 1, column: 9, found: '"\\n"' });
    expect(jsonErrorAt('[1, 2')).toEqual({ line: 1, column: 6, found: 'the end of the file' });
    expect(jsonErrorAt('{"a": tru}')).toEqual({ line: 1, column: 7, found: '"t"' });
  });
});
