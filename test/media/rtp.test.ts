// The RTP peer's own rules, on loopback sockets: the SDP it answers with, and its bound queue.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED_FRAMES, readOffer, RtpSession } from '../../src/media/rtp.js';

const open: RtpSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('RtpSession', () => {
  it('reads what it needs of an offer, preferring PCMU, and answers with the same codec and events', async () => {
    const offer = readOffer('v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n')!;
    expect(offer).toEqual({ codec: 'PCMU', dtmf: 101, remote: { address: '198.51.100.7', port: 40000 } });
    expect(readOffer('v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/AVP 9 18\r\n')).toBeUndefined();
    const s = await RtpSession.open({ address: '127.0.0.1', publicAddress: '203.0.113.9', offer, onAudio: () => undefined, onDtmf: () => undefined });
    open.push(s);
    expect(s.localSdp).toContain('c=IN IP4 203.0.113.9\r\n');
    expect(s.localSdp).toContain(`m=audio ${s.port} RTP/AVP 0 101\r\n`);
    expect(s.localSdp).toContain('a=rtpmap:101 telephone-event/8000\r\n');
  });

  it('holds at most a minute of the app\'s audio, whatever it sends', async () => {
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    let packets = 0;
    sink.on('message', () => packets++);
    const s = await RtpSession.open({
      address: '127.0.0.1',
      offer: { codec: 'PCMU', remote: { address: '127.0.0.1', port: sink.address().port } },
      onAudio: () => undefined,
      onDtmf: () => undefined,
    });
    open.push(s);
    let reached = false;
    s.play(Buffer.alloc(160 * (MAX_QUEUED_FRAMES + 500)));
    s.play(Buffer.alloc(160 * 10));
    expect(s.queued).toBeLessThanOrEqual(MAX_QUEUED_FRAMES);
    expect(s.queued).toBeGreaterThan(MAX_QUEUED_FRAMES - 5);
    s.mark(() => (reached = true));
    // Cleared: everything queued goes, and the mark after it is reached at once.
    s.clear();
    expect(reached).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(packets).toBeLessThanOrEqual(3);
    sink.close();
  });
});
