// What a command to the instance that runs a call says: the Calls API's update (new
// instructions, app changes, an end), or a queue's or a conference's message between the
// instances of a waiting caller and its taker (src/runtime/queues.ts, conferences.ts). The state
// store carries it as JSON without reading it (src/state/types.ts CommandBody); this layer reads it.
import type { ConferenceMessage } from '../runtime/conferences.js';
import type { QueueMessage } from '../runtime/queues.js';
import type { AppChanges, Instructions } from '../runtime/session.js';
import type { CommandBody } from '../state/types.js';

export interface CallCommand {
  instructions?: Instructions;
  changes?: AppChanges;
  status?: 'completed' | 'canceled';
  queue?: QueueMessage;
  /** A participant's change (muted, hold, kicked) for the instance that runs its call. */
  conference?: ConferenceMessage;
}

/** A command as another instance sent it: what this layer wrote there (CallService is the only writer). */
export const readCommand = (body: CommandBody): CallCommand => body as CallCommand;
