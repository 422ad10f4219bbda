// WAV in and out of a media stream: any common format becomes 8 kHz μ-law, and μ-law is kept as a WAV.
import { describe, expect, it } from 'vitest';
import { g711 } from '../../src/media/g711.js';
import { decodeWav, mulawToWav, WavError, wavToMulaw } from '../../src/media/wav.js';
import { toneWav } from '../agent/audio.js';

const peak = (mulaw: Buffer) => Math.max(...[...mulaw].map((u) => Math.abs(g711.mulawToLinear(u))));

describe('WAV to 8 kHz μ-law', () => {
  it.each([
    { rate: 8000, bits: 16 },
    { rate: 16000, bits: 16, channels: 2 },
    { rate: 44100, bits: 24 },
    { rate: 48000, bits: 32 },
    { rate: 22050, bits: 8 },
    { rate: 24000, bits: 32, tag: 3 },
    { rate: 11025, bits: 16 },
  ])('$rate Hz, $bits bits, tag $tag: half a second is 4000 samples at the tone\'s level', (f) => {
    const mulaw = wavToMulaw(toneWav(f));
    expect(Math.abs(mulaw.length - 4000)).toBeLessThanOrEqual(1);
    // A 0.5 amplitude tone: about 16384 at its peak, whatever the source format was.
    expect(peak(mulaw)).toBeGreaterThan(14000);
    expect(peak(mulaw)).toBeLessThan(18000);
  });

  it('μ-law in, μ-law out: the bytes survive a round trip through a WAV file', () => {
    const mulaw = Buffer.from([...Array(800).keys()].map((i) => (i * 7) & 0xff));
    const file = mulawToWav(mulaw);
    expect(file.toString('ascii', 0, 4)).toBe('RIFF');
    expect(decodeWav(file).rate).toBe(8000);
    expect(wavToMulaw(file)).toEqual(mulaw.map((u) => g711.linearToMulaw(g711.mulawToLinear(u))));
  });

  it('refuses what it cannot read, naming the file and what to do', () => {
    expect(() => wavToMulaw(Buffer.from('ID3 not a wav at all'), 'hello.mp3')).toThrow(/hello\.mp3: not a WAV file/);
    const adpcm = toneWav({ rate: 8000 });
    adpcm.writeUInt16LE(2, 20);
    adpcm.writeUInt16LE(4, 34);
    expect(() => wavToMulaw(adpcm, 'adpcm.wav')).toThrow(WavError);
    expect(() => wavToMulaw(adpcm, 'adpcm.wav')).toThrow(/adpcm\.wav: WAV format 2 at 4 bits .* convert it to 16-bit PCM/);
  });
});
