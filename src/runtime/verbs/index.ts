// Every verb the runtime runs, by grammar definition id. Adding a verb: the grammar, a module
// here, fixtures and tests; test/runtime/registry.test.ts checks this list against the grammar.
import type { Verb } from '../verb.js';
import { say } from './say.js';
import { play } from './play.js';
import { pause } from './pause.js';
import { gather } from './gather.js';
import { dial, didmlConference, forwardNoun } from './dial.js';
import { record } from './record.js';
import { hangup } from './hangup.js';
import { reject } from './reject.js';
import { redirect } from './redirect.js';
import { refer } from './refer.js';
import { connect, didmlRecording, start, stop } from './streams.js';
import { sms } from './sms.js';
import { postcall } from './postcall.js';
import { unsupported } from './unsupported.js';
import { didmlQueue, enqueue, leave } from './queue.js';

export const verbs: readonly Verb[] = [say, play, pause, gather, dial, forwardNoun, record, hangup, reject, redirect, refer, connect, start, stop, sms, postcall, enqueue, didmlQueue, leave, didmlConference, didmlRecording, ...unsupported];

export const verbByName: ReadonlyMap<string, Verb> = new Map(verbs.flatMap((v) => v.names.map((n) => [n, v] as const)));
