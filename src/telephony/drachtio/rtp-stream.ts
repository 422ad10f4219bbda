// <Connect><Stream>: didml is an RTP peer itself (src/media/rtp.ts) and relays between that audio
// and the app's websocket in Twilio's Media Streams protocol (src/media/twilio-stream.ts). G.711
// at 20 ms is what both sides carry, so nothing is transcoded for a PCMU party.
// - Without a media server, didml answers the caller with its RTP socket.
// - With one, the caller is on a FreeSWITCH endpoint already: a second endpoint answers didml's
//   own offer (PCMU, telephone events) and is bridged to the caller's, so FreeSWITCH does any
//   transcoding and relays keys.
// The Connect ends when the app closes the websocket (the document goes on), the caller hangs up,
// or the session stops it.
import { networkInterfaces } from 'node:os';
import { DidmlError } from '../../errors.js';
import type { StreamOptions } from '../adapter.js';
import { readOffer, RtpSession, type Negotiated } from '../../media/rtp.js';
import { TwilioMediaStream } from '../../media/twilio-stream.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';
import { sleep } from './media-ops.js';

/** didml's own offer to the media server: μ-law and telephone events; where to send comes with its answer. */
const OWN_OFFER: Negotiated = { codec: 'PCMU', dtmf: 101, remote: { address: '127.0.0.1', port: 0 } };

/** The first IPv4 address of this host that is not loopback: what a caller elsewhere can send to. */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export async function connectRtpStream(core: LegCore, o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  const gone = () => ({ callerHungUp: core.endedBy === 'caller' && core.gone.aborted });
  if (core.gone.aborted || signal?.aborted) return gone();
  const offer = core.mediaConfigured ? OWN_OFFER : readOffer(core.uas?.remote.sdp ?? core.req.body);
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
      ...(core.hosts ? { hosts: core.hosts } : {}),
    });
  } catch (e) {
    // As Twilio: a stream that cannot connect ends the <Connect>, and the document goes on.
    core.log.warn('<Connect><Stream>: the websocket could not be opened; the document goes on', { callId, url: o.url, error: (e as Error).message });
    o.onStatus?.('stream-error', (e as Error).message);
    return gone();
  }
  o.onStatus?.('stream-started');
  const rtpConfig = core.config.rtp;
  let rtp: RtpSession;
  try {
    rtp = await RtpSession.open({
      address: rtpConfig?.address ?? '0.0.0.0',
      publicAddress: rtpConfig?.publicAddress ?? (rtpConfig?.address && rtpConfig.address !== '0.0.0.0' ? rtpConfig.address : hostAddress()),
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
      if (!mine) return gone();
      endpoint = await core.media('<Connect><Stream>').answer(rtp.localSdp);
      const answer = readOffer(endpoint.localSdp);
      if (!answer) throw new DidmlError('DIDML_TELEPHONY', "<Connect><Stream>: the media server's answer has no G.711 audio");
      rtp.answered(answer);
      await mine.bridge(endpoint);
    } else if (core.uas) {
      // Answered already (a Refer's inactive stream, a Dial that ended): a re-INVITE moves the caller's audio here.
      const answer = readOffer(await core.uas.modify(rtp.localSdp));
      if (answer) rtp.answered(answer);
    } else {
      await core.answerWith(rtp.localSdp);
    }
    const over = new AbortController();
    void stream.closed.then(() => over.abort());
    await sleep(core, Infinity, AbortSignal.any([over.signal, ...(signal ? [signal] : [])]));
  } finally {
    stream.stop();
    o.onStatus?.('stream-stopped');
    rtp.close();
    if (endpoint) {
      if (!core.gone.aborted) await core.endpoint?.unbridge().catch(() => undefined);
      await endpoint.destroy();
    }
  }
  return gone();
}
