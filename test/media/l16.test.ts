// L16 (as mod_audio_fork sends it) into 20 ms μ-law frames: channels apart, messages cut anywhere.
import { describe, expect, it } from 'vitest';
import { g711 } from '../../src/media/g711.js';
import { L16Framer } from '../../src/media/l16.js';

/** `n` samples of L16 little-endian, sample i of channel c = f(i, c), interleaved. */
function pcm(n: number, channels: number, f: (i: number, c: number) => number): Buffer {
  const b = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) b.writeInt16LE(f(i, c), (i * channels + c) * 2);
  return b;
}

describe('L16Framer', () => {
  it('mono: one 160-byte μ-law frame per 320 bytes, whatever the messages\' lengths (an odd cut splits a sample)', () => {
    const frames: [number, Buffer][] = [];
    const framer = new L16Framer(1, (ch, f) => frames.push([ch, f]));
    const audio = pcm(480, 1, (i) => (i < 160 ? 0 : i < 320 ? 8000 : -8000));
    for (const cut of [[0, 7], [7, 321], [321, 700], [700, 960]]) framer.push(audio.subarray(cut[0], cut[1]));
    expect(frames.map(([ch]) => ch)).toEqual([0, 0, 0]);
    expect(frames.map(([, f]) => f)).toEqual([0, 8000, -8000].map((s) => Buffer.alloc(160, g711.linearToMulaw(s))));
  });

  it('stereo: left is channel 0 and right channel 1, frame by frame; less than a frame waits', () => {
    const frames: [number, Buffer][] = [];
    const framer = new L16Framer(2, (ch, f) => frames.push([ch, f]));
    framer.push(pcm(200, 2, (_i, c) => (c === 0 ? 1200 : -300)));
    expect(frames.map(([ch, f]) => [ch, f])).toEqual([
      [0, Buffer.alloc(160, g711.linearToMulaw(1200))],
      [1, Buffer.alloc(160, g711.linearToMulaw(-300))],
    ]);
    framer.push(pcm(120, 2, () => 0));
    expect(frames).toHaveLength(4);
    // The frame that straddled the messages: 40 samples of the first, 120 of the second.
    expect(frames[2]![1].subarray(0, 40)).toEqual(Buffer.alloc(40, g711.linearToMulaw(1200)));
    expect(frames[2]![1].subarray(40)).toEqual(Buffer.alloc(120, g711.linearToMulaw(0)));
  });
});
