// G.711 between its two laws: every code decodes to the sample G.711 gives it, and a sample
// survives a trip through the other law within that law's step at its size.
import { describe, expect, it } from 'vitest';
import { alawToMulaw, g711, mulawToAlaw } from '../../src/media/g711.js';

describe('G.711', () => {
  it('decodes the codes the standard tables list', () => {
    expect(g711.mulawToLinear(0xff)).toBe(0);
    expect(g711.mulawToLinear(0x7f)).toBe(-0);
    expect(g711.mulawToLinear(0x80)).toBe(32124);
    expect(g711.mulawToLinear(0x00)).toBe(-32124);
    expect(g711.alawToLinear(0xd5)).toBe(8);
    expect(g711.alawToLinear(0x55)).toBe(-8);
    expect(g711.alawToLinear(0xaa)).toBe(32256);
    expect(g711.alawToLinear(0x2a)).toBe(-32256);
  });

  it('encodes each decoded code back to itself (both laws)', () => {
    for (let c = 0; c < 256; c++) {
      if (c !== 0x7f) expect(g711.linearToMulaw(g711.mulawToLinear(c)), `μ ${c}`).toBe(c);
      expect(g711.linearToAlaw(g711.alawToLinear(c)), `A ${c}`).toBe(c);
    }
  });

  it('converts between the laws keeping the sample within the coarser step', () => {
    for (let u = 0; u < 256; u++) {
      const sample = g711.mulawToLinear(u);
      const back = g711.alawToLinear(mulawToAlaw(Buffer.from([u]))[0]!);
      expect(Math.abs(back - sample), `μ ${u}`).toBeLessThanOrEqual(Math.max(16, Math.abs(sample) / 16));
    }
    expect(alawToMulaw(Buffer.from([0xd5, 0x55]))).toEqual(Buffer.from([0xfe, 0x7e]));
  });
});
