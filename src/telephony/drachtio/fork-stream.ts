// <Start><Stream> on drachtio: the call's audio forked, one way, to the app's websocket in
// Twilio's Media Streams protocol (`connected`, `start` naming the tracks, `media` per 20 ms of
// μ-law on track inbound or outbound, `stop`), through the same TwilioMediaStream <Connect><Stream>
// and the mock speak with, so one agent works on every backend.
// The audio comes from a tap: FreeSWITCH's mod_audio_fork, pointed at didml's own listener
// (fork-listener.ts) rather than at the app, since what the module sends is its own framing (raw
// L16, mono for the caller alone, stereo with the caller left and what FreeSWITCH plays to the
// caller right: FreeSWITCH's media bug puts its read stream left); didml cuts that into μ-law
// frames (src/media/l16.ts) and names the tracks. Without a media server, a call didml placed
// has didml's own RTP peer (call-rtp.ts), which is tapped instead: the far end's frames inbound,
// the frames sent to it outbound.
// The fork lasts until <Stop><Stream>, the app closing its websocket, the tap ending (FreeSWITCH
// closed its connection) or the call ending; its statusCallback hears stream-started once audio can
// flow, stream-stopped at its end, stream-error (and the call goes on, as on Twilio) when it could
// not start.
import type { WebSocket } from 'ws';
import type { StreamOptions } from '../adapter.js';
import { L16Framer } from '../../media/l16.js';
import { tracksOf, TwilioMediaStream } from '../../media/twilio-stream.js';
import type { CallRtp } from './call-rtp.js';
import type { LegCore } from './core.js';
import type { ForkListener } from './fork-listener.js';
import type { MediaEndpoint } from './media.js';
import { streamTarget } from './rtp-stream.js';

/** Real ms the app's websocket may take to open: a <Start> waits for it, as the mock's does. */
const AGENT_OPEN_MS = 10_000;
/** Real ms FreeSWITCH may take to connect back once uuid_audio_fork said +OK. */
const FREESWITCH_CONNECT_MS = 5_000;

type Track = 'inbound' | 'outbound';

/** Where a fork's audio comes from. */
export interface ForkTap {
  /** Resolves when the tap has no more audio to give (its source closed). */
  readonly ended: Promise<void>;
  /** Stops the tap at its source. */
  stop(): Promise<void>;
  /** Lets go of the tap without asking its source (the call ended, or the source closed). */
  drop(): void;
}

/** Opens the tap; `audio` is told each 20 ms μ-law frame of a track the fork asked for. Rejects, saying why, when it cannot. */
export type OpenTap = (tracks: Track[], audio: (track: Track, frame: Buffer) => void) => Promise<ForkTap>;

export interface RunningFork {
  /** Resolves when the fork is over, whoever ended it. */
  readonly finished: Promise<void>;
  /** Ends the fork (<Stop><Stream>); resolves once stopped. */
  stop(): Promise<void>;
}

/** Starts a fork of the call's audio to the app; undefined (stream-error said why) when it could not start. */
export async function startFork(core: LegCore, o: StreamOptions, openTap: OpenTap): Promise<RunningFork | undefined> {
  const tracks = tracksOf(o.track);
  const failed = (why: string) => {
    core.log.warn(`<Start><Stream>: ${why}; the call goes on without it`, { callId: core.callId, url: o.url });
    o.onStatus?.('stream-error', why);
    return undefined;
  };
  let stream: TwilioMediaStream;
  try {
    stream = await TwilioMediaStream.open({ ...streamTarget(core, o), tracks, connectTimeoutMs: AGENT_OPEN_MS });
  } catch (e) {
    return failed((e as Error).message);
  }
  if (core.gone.aborted) return void stream.stop();
  let tap: ForkTap;
  try {
    tap = await openTap(tracks, (track, frame) => stream.audio(frame, track));
  } catch (e) {
    stream.stop();
    return failed((e as Error).message);
  }
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let over = false;
  const end = async (atSource: boolean) => {
    if (over) return;
    over = true;
    core.gone.removeEventListener('abort', onGone);
    if (atSource && !core.gone.aborted) await tap.stop().catch((e: unknown) => core.log.warn('<Stop><Stream>: the media server did not stop the fork', { callId: core.callId, error: String(e) }));
    tap.drop();
    stream.stop();
    o.onStatus?.('stream-stopped');
    finish();
  };
  const onGone = () => void end(false);
  core.gone.addEventListener('abort', onGone, { once: true });
  void tap.ended.then(() => end(false));
  // The app hanging up its websocket ends the fork (FreeSWITCH stops sending).
  void stream.closed.then(() => end(true));
  o.onStatus?.('stream-started');
  if (core.gone.aborted) onGone();
  return { finished, stop: () => end(true) };
}

/**
 * The tap on FreeSWITCH: uuid_audio_fork on the party's endpoint, sending to didml's listener;
 * mono when only the caller is wanted, stereo for what the caller hears (alone or with the caller).
 */
export function freeswitchTap(core: LegCore, ep: MediaEndpoint, listener: ForkListener, bug: string): OpenTap {
  return async (tracks, audio) => {
    const mix = tracks.includes('outbound') ? 'stereo' : 'mono';
    const channels: Track[] = mix === 'stereo' ? ['inbound', 'outbound'] : ['inbound'];
    const slot = listener.expect();
    try {
      await ep.forkStart(slot.url, bug, mix);
    } catch (e) {
      slot.cancel();
      throw e;
    }
    let ws: WebSocket;
    const cancelTimer = core.clock.timer(FREESWITCH_CONNECT_MS, () => slot.cancel());
    const onGone = () => slot.cancel();
    core.gone.addEventListener('abort', onGone, { once: true });
    try {
      ws = await slot.connection;
    } catch {
      await ep.forkStop(bug).catch(() => undefined);
      throw new Error(
        core.gone.aborted
          ? 'the call ended before the media server connected'
          : `FreeSWITCH did not connect to didml's stream listener at ${slot.url.replace(/[0-9a-f]{32}$/, '…')} within ${FREESWITCH_CONNECT_MS / 1000} s: drachtio.mediaServer.streamAddress (or listenAddress) must be an address of didml FreeSWITCH can reach`,
      );
    } finally {
      cancelTimer();
      core.gone.removeEventListener('abort', onGone);
    }
    const framer = new L16Framer(mix === 'stereo' ? 2 : 1, (ch, frame) => {
      const track = channels[ch]!;
      if (tracks.includes(track)) audio(track, frame);
    });
    // Text frames are mod_audio_fork's metadata (none is sent): only audio is relayed.
    ws.on('message', (data, binary) => {
      if (binary) framer.push(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]));
    });
    ws.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    return {
      ended,
      stop: async () => {
        try {
          await ep.forkStop(bug);
        } finally {
          ws.close();
        }
      },
      drop: () => ws.close(),
    };
  };
}

/** A μ-law frame of silence (the code for 0). */
const SILENCE = Buffer.alloc(160, 0xff);
/** Sent frames waiting for the outbound pacer, at most (a second): it takes one a tick, as they are sent. */
const MAX_OUTBOUND_WAITING = 50;

/**
 * The tap on didml's own RTP peer. The far end's audio is relayed as it comes. What is sent to
 * it only exists while something plays (a <Connect><Stream> agent's audio), so the outbound
 * track is paced here, 20 ms a frame, silence between: its chunks and timestamps keep time with
 * the call, as a media server's stereo fork does.
 */
export function rtpTap(rtp: CallRtp): OpenTap {
  return (tracks, audio) => {
    const outbound = tracks.includes('outbound');
    const waiting: Buffer[] = [];
    const untap = rtp.tap((track, frame) => {
      if (track === 'inbound' && tracks.includes('inbound')) audio('inbound', frame);
      else if (track === 'outbound' && outbound && waiting.length < MAX_OUTBOUND_WAITING) waiting.push(frame);
    });
    const pacer = outbound ? setInterval(() => audio('outbound', waiting.shift() ?? SILENCE), 20) : undefined;
    const drop = () => {
      untap();
      clearInterval(pacer);
    };
    // It ends with the call (the socket closes then), which the fork hears by itself.
    return Promise.resolve({ ended: new Promise<void>(() => undefined), stop: () => Promise.resolve(drop()), drop });
  };
}
