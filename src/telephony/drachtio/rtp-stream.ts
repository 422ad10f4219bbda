// <Connect><Stream> with no media server: didml answers the caller with an RTP socket of its own
// (src/media/rtp.ts) and relays between it and the app's websocket in Twilio's Media Streams
// protocol (src/media/twilio-stream.ts). G.711 at 20 ms is what both sides carry, so nothing is
// transcoded for a PCMU caller. The Connect ends when the app closes the websocket (the document
// goes on), the caller hangs up, or the session stops it. With a media server, the stream is
// FreeSWITCH's mod_audio_fork instead (leg.ts).
import { networkInterfaces } from 'node:os';
import { DidmlError } from '../../errors.js';
import type { StreamOptions } from '../adapter.js';
import { readOffer, RtpSession } from '../../media/rtp.js';
import { TwilioMediaStream } from '../../media/twilio-stream.js';
import type { LegCore } from './core.js';
import { sleep } from './media-ops.js';

/** The first IPv4 address of this host that is not loopback: what a caller elsewhere can send to. */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export async function connectRtpStream(core: LegCore, o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  const gone = () => ({ callerHungUp: core.endedBy === 'caller' && core.gone.aborted });
  if (core.gone.aborted || signal?.aborted) return gone();
  const offer = readOffer(core.uas?.remote.sdp ?? core.req.body);
  if (!offer) {
    throw new DidmlError('DIDML_TELEPHONY', "<Connect><Stream>: the caller's SDP offers no G.711 audio (PCMU or PCMA), which is what didml relays to a stream without a media server");
  }
  const callId = core.req.get('Call-ID');
  let stream: TwilioMediaStream;
  try {
    stream = await TwilioMediaStream.open({
      url: o.url,
      accountSid: o.accountSid ?? '',
      callSid: o.callSid ?? '',
      streamSid: o.streamSid ?? '',
      parameters: o.parameters,
    });
  } catch (e) {
    // As Twilio: a stream that cannot connect ends the <Connect>, and the document goes on.
    core.log.warn('<Connect><Stream>: the websocket could not be opened; the document goes on', { callId, url: o.url, error: (e as Error).message });
    return gone();
  }
  const rtpConfig = core.config.rtp;
  const rtp = await RtpSession.open({
    address: rtpConfig?.address ?? '0.0.0.0',
    publicAddress: rtpConfig?.publicAddress ?? (rtpConfig?.address && rtpConfig.address !== '0.0.0.0' ? rtpConfig.address : hostAddress()),
    offer,
    onAudio: (frame) => stream.audio(frame),
    onDtmf: (key) => stream.dtmf(key),
  });
  stream.attach(rtp);
  try {
    if (core.uas) await core.uas.modify(rtp.localSdp);
    else await core.answerWith(rtp.localSdp);
    const over = new AbortController();
    void stream.closed.then(() => over.abort());
    await sleep(core, Infinity, AbortSignal.any([over.signal, ...(signal ? [signal] : [])]));
  } finally {
    stream.stop();
    rtp.close();
  }
  return gone();
}
