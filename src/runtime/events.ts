// Events the runtime adds to a call's transcript, beside those the backend records (say, play,
// dial...). One flat shape so a transcript is plain JSON: `{t, type, ...details}`.

export interface RuntimeEvent {
  type: string;
  [detail: string]: unknown;
}

export interface TimedEvent extends RuntimeEvent {
  /** Milliseconds of call time (virtual under the mock backend). */
  t: number;
}

export type EventSink = (event: TimedEvent) => void;
