// G.711 (ITU-T G.711) μ-law and A-law, only as far as moving audio between them: each 8-bit
// code maps to a 16-bit sample and back, so a table of 256 entries per direction does it.

function mulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const exponent = (v >> 4) & 0x07;
  const sample = ((((v & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return v & 0x80 ? -sample : sample;
}

function linearToMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  s = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | s) & 0xff;
}

function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const sample = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return v & 0x80 ? sample : -sample;
}

function linearToAlaw(sample: number): number {
  const sign = sample >= 0 ? 0x80 : 0;
  const s = Math.min(sample >= 0 ? sample : -sample - 1, 32767);
  let code: number;
  if (s >= 256) {
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    code = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  } else {
    code = s >> 4;
  }
  return (code | sign) ^ 0x55;
}

const U_TO_A = Uint8Array.from({ length: 256 }, (_, u) => linearToAlaw(mulawToLinear(u)));
const A_TO_U = Uint8Array.from({ length: 256 }, (_, a) => linearToMulaw(alawToLinear(a)));

export function mulawToAlaw(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frame.length);
  for (let i = 0; i < frame.length; i++) out[i] = U_TO_A[frame[i]!]!;
  return out;
}

export function alawToMulaw(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frame.length);
  for (let i = 0; i < frame.length; i++) out[i] = A_TO_U[frame[i]!]!;
  return out;
}

/** For tests: the 16-bit sample a code stands for. */
export const g711 = { mulawToLinear, linearToMulaw, alawToLinear, linearToAlaw };
