// The whole call recorded in the background: <Start><Recording>, and DIDML's top-level
// <Recording> ("Record the complete call"). Recording starts once the call is answered and lasts
// until the call ends (TwiML has no <Stop><Recording>: Twilio stops one through its REST API);
// the noun's recordingStatusCallback then hears of it (RecordingSource StartCallRecordingTwiML).
// https://www.twilio.com/docs/voice/twiml/recording
import type { Projected } from '../../grammar/index.js';
import type { CallLeg } from '../../telephony/adapter.js';
import { DidmlError } from '../../errors.js';
import { str, type VerbContext } from '../verb.js';
import { notifyRecording } from './recording-callback.js';

/** The noun that started each call's recording (its callback attributes), by the call's leg. */
const running = new WeakMap<CallLeg, Projected>();

export async function startCallRecording(node: Projected, ctx: VerbContext): Promise<void> {
  if (running.has(ctx.leg)) return ctx.emit({ type: 'warning', message: `<${node.name}>: the call is being recorded already` });
  await ctx.answer();
  const channels = str(node, 'channels', 'mono') === 'dual' ? 2 : 1;
  try {
    await ctx.leg.startCallRecording({ channels });
  } catch (e) {
    // A backend that cannot record (no media server, nowhere to put the file) says why; the call goes on.
    if (!(e instanceof DidmlError)) throw e;
    return ctx.emit({ type: 'warning', message: `call recording not started: ${e.message}` });
  }
  running.set(ctx.leg, node);
  ctx.onCallEnd(() => stopCallRecording(ctx));
}

async function stopCallRecording(ctx: VerbContext): Promise<void> {
  const node = running.get(ctx.leg);
  if (!node) return;
  running.delete(ctx.leg);
  const r = await ctx.leg.stopCallRecording();
  if (r) notifyRecording(node, ctx, { sid: ctx.newSid('RE'), url: r.url, duration: r.duration, channels: str(node, 'channels', 'mono') === 'dual' ? 2 : 1 }, 'StartCallRecordingTwiML');
}
