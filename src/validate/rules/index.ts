import type { Rule } from './rule.js';
import { noUnreachable } from './no-unreachable.js';
import { sayEmpty } from './say-empty.js';
import { sipUri } from './sip-uri.js';
import { e164 } from './e164.js';
import { url } from './url.js';
import { streamUrl } from './stream-url.js';
import { deprecated } from './deprecated.js';
import { actionLoop } from './action-loop.js';
import { requires } from './requires.js';
import { runtimeSupport } from './runtime-support.js';

/** Every lint rule beyond the schema. Adding one: a file in this folder and a line here. */
export const rules: readonly Rule[] = [noUnreachable, sayEmpty, sipUri, e164, url, streamUrl, deprecated, actionLoop, runtimeSupport, requires];
