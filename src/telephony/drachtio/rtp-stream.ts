// <Connect><Stream>: didml is an RTP peer itself (src/media/rtp.ts) and relays between that audio
// and the app's websocket in Twilio's Media Streams protocol (src/media/twilio-stream.ts). G.711
// at 20 ms is what both sides carry, so nothing is transcoded for a PCMU party.
// - Without a media server, didml answers the caller with its RTP socket; a call didml placed
//   has its own RTP peer from the start (call-rtp.ts), and the stream is plugged into it.
// - With one, the caller is on a FreeSWITCH endpoint already: a second endpoint answers didml's
//   own offer (PCMU, telephone events) and is bridged to the caller's, so FreeSWITCH does any
//   transcoding and relays keys.
// The Connect ends when the app closes the websocket (the document goes on), the caller hangs up,
// or the session stops it.
import { DidmlError } from '../../errors.js';
import type { StreamOptions } from '../adapter.js';
import { readOffer, RtpSession } from '../../media/rtp.js';
import { TwilioMediaStream, type MediaStreamOptions } from '../../media/twilio-stream.js';
import { OWN_OFFER, rtpAddresses, type CallRtp } from './call-rtp.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';
import { sleep } from './media-ops.js';

/** Where a <Connect> or <Start> stream goes and what its start says, under the call's host rules. */
export function streamTarget(core: LegCore, o: StreamOptions): MediaStreamOptions {
  return {
    url: o.url,
    accountSid: o.accountSid ?? '',
    callSid: o.callSid ?? '',
    streamSid: o.streamSid ?? '',
    parameters: o.parameters,
    ...(core.hosts ? { hosts: core.hosts } : {}),
  };
}

/** How the Connect ended for the session: whether the party hung up. */
const outcome = (core: LegCore) => ({ callerHungUp: core.endedBy === 'caller' && core.gone.aborted });

export async function connectRtpStream(core: LegCore, o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  if (core.gone.aborted || signal?.aborted) return outcome(core);
  const own = core.ownRtp;
  const offer = core.mediaConfigured || own ? OWN_OFFER : readOffer(core.partySdp);
  if (!offer) {
    throw new DidmlError('DIDML_TELEPHONY', "<Connect><Stream>: the caller's SDP offers no G.711 audio (PCMU or PCMA), which is what didml relays to a stream without a media server");
  }
  const callId = core.callId;
  let stream: TwilioMediaStream;
  try {
    stream = await TwilioMediaStream.open(streamTarget(core, o));
  } catch (e) {
    // As Twilio: a stream that cannot connect ends the <Connect>, and the document goes on.
    core.log.warn('<Connect><Stream>: the websocket could not be opened; the document goes on', { callId, url: o.url, error: (e as Error).message });
    o.onStatus?.('stream-error', (e as Error).message);
    return outcome(core);
  }
  o.onStatus?.('stream-started');
  if (own) return plugged(core, own, stream, o, signal);
  let rtp: RtpSession;
  try {
    rtp = await RtpSession.open({
      ...rtpAddresses(core.config),
      offer,
      onAudio: (frame) => stream.audio(frame),
      onDtmf: (key) => stream.dtmf(key),
    });
  } catch (e) {
    stream.stop();
    o.onStatus?.('stream-stopped');
    throw new DidmlError('DIDML_TELEPHONY', `<Connect><Stream>: no RTP socket at drachtio.rtp.address: ${(e as Error).message}`, { cause: e });
  }
  stream.attach(rtp);
  let endpoint: MediaEndpoint | undefined;
  try {
    if (core.mediaConfigured) {
      // The caller's endpoint, and one of FreeSWITCH's that answers didml's offer, bridged.
      await core.answer();
      const mine = core.endpoint;
      if (!mine) return outcome(core);
      endpoint = await core.media('<Connect><Stream>').answer(rtp.localSdp);
      const answer = readOffer(endpoint.localSdp);
      if (!answer) throw new DidmlError('DIDML_TELEPHONY', "<Connect><Stream>: the media server's answer has no G.711 audio");
      rtp.answered(answer);
      await mine.bridge(endpoint);
    } else if (core.dialog) {
      // Answered already (a Refer's inactive stream, a Dial that ended): a re-INVITE moves the caller's audio here.
      const answer = readOffer(await core.dialog.modify(rtp.localSdp));
      if (answer) rtp.answered(answer);
    } else {
      await core.answerWith(rtp.localSdp);
    }
    await untilClosed(core, stream, signal);
  } finally {
    stream.stop();
    o.onStatus?.('stream-stopped');
    rtp.close();
    if (endpoint) {
      if (!core.gone.aborted) await core.endpoint?.unbridge().catch(() => undefined);
      await endpoint.destroy();
    }
  }
  return outcome(core);
}

/** Until the app closes the websocket, the call ends, or the session stops the Connect. */
async function untilClosed(core: LegCore, stream: TwilioMediaStream, signal?: AbortSignal): Promise<void> {
  const over = new AbortController();
  void stream.closed.then(() => over.abort());
  await sleep(core, Infinity, AbortSignal.any([over.signal, ...(signal ? [signal] : [])]));
}

/**
 * A call didml placed: the stream is plugged into the call's own RTP peer. A <Dial> before it
 * moved the far end's audio to the callee (a re-INVITE, RFC 3261 §14): it is moved back first.
 */
async function plugged(core: LegCore, own: CallRtp, stream: TwilioMediaStream, o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  const unplug = own.plug(stream);
  try {
    const dialog = core.dialog;
    if (dialog && dialog.local.sdp !== own.sdp) own.answered(await dialog.modify(own.sdp));
    await untilClosed(core, stream, signal);
  } catch (e) {
    core.log.warn('<Connect><Stream>: the far end did not take back didml\'s RTP offer (re-INVITE); the document goes on', { callId: core.callId, error: (e as Error).message });
  } finally {
    unplug();
    stream.stop();
    o.onStatus?.('stream-stopped');
  }
  return outcome(core);
}
