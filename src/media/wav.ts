// WAV files in and out of a media stream: a caller's recorded words (any common rate and format)
// become the 8 kHz μ-law a Twilio media stream carries, and what an agent said is kept as a μ-law
// WAV. Formats read: PCM 8/16/24/32-bit, IEEE float 32/64-bit, μ-law and A-law, WAVE_FORMAT_EXTENSIBLE
// around any of them; any number of channels (mixed down), any sample rate (resampled).
import { g711 } from './g711.js';

export const STREAM_RATE = 8000;

const PCM = 1;
const FLOAT = 3;
const ALAW = 6;
const MULAW = 7;
const EXTENSIBLE = 0xfffe;

export class WavError extends Error {}

interface Format {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
}

/** Reads a sample of the format at `offset` as a number in [-1, 1]. */
function sampleReader(f: Format, name: string): (b: Buffer, offset: number) => number {
  const key = `${f.tag}/${f.bits}`;
  const readers: Record<string, (b: Buffer, o: number) => number> = {
    [`${PCM}/8`]: (b, o) => (b[o]! - 128) / 128,
    [`${PCM}/16`]: (b, o) => b.readInt16LE(o) / 32768,
    [`${PCM}/24`]: (b, o) => b.readIntLE(o, 3) / 8388608,
    [`${PCM}/32`]: (b, o) => b.readInt32LE(o) / 2147483648,
    [`${FLOAT}/32`]: (b, o) => b.readFloatLE(o),
    [`${FLOAT}/64`]: (b, o) => b.readDoubleLE(o),
    [`${MULAW}/8`]: (b, o) => g711.mulawToLinear(b[o]!) / 32768,
    [`${ALAW}/8`]: (b, o) => g711.alawToLinear(b[o]!) / 32768,
  };
  const read = readers[key];
  if (!read) throw new WavError(`${name}: WAV format ${f.tag} at ${f.bits} bits is not one didml reads; convert it to 16-bit PCM (e.g. sox in.wav -b 16 out.wav)`);
  return read;
}

/** The samples of a WAV file, mono, in [-1, 1], with its rate. */
export function decodeWav(file: Buffer, name = 'audio'): { samples: Float32Array; rate: number } {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError(`${name}: not a WAV file (no RIFF/WAVE header); give a .wav file`);
  }
  let format: Format | undefined;
  let data: Buffer | undefined;
  for (let at = 12; at + 8 <= file.length; ) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = file.subarray(at + 8, Math.min(file.length, at + 8 + size));
    if (id === 'fmt ' && body.length >= 16) {
      let tag = body.readUInt16LE(0);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (tag === EXTENSIBLE && body.length >= 26) tag = body.readUInt16LE(24);
      format = { tag, channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    at += 8 + size + (size & 1); // chunks are padded to an even length
  }
  if (!format) throw new WavError(`${name}: the WAV file has no fmt chunk`);
  if (!data) throw new WavError(`${name}: the WAV file has no data chunk`);
  if (format.channels < 1 || format.rate < 1) throw new WavError(`${name}: the WAV file says ${format.channels} channels at ${format.rate} Hz`);
  const read = sampleReader(format, name);
  const width = format.bits / 8;
  const frame = width * format.channels;
  const count = Math.floor(data.length / frame);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let c = 0; c < format.channels; c++) sum += read(data, i * frame + c * width);
    samples[i] = sum / format.channels;
  }
  return { samples, rate: format.rate };
}

/** To another rate: each output sample averages the input it covers (down) or interpolates (up). */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  const ratio = from / to;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const start = i * ratio;
    if (ratio > 1) {
      // A box filter over the input samples this one stands for keeps most aliasing out.
      const a = Math.floor(start);
      const b = Math.min(samples.length, Math.max(a + 1, Math.floor(start + ratio)));
      let sum = 0;
      for (let k = a; k < b; k++) sum += samples[k]!;
      out[i] = sum / (b - a);
    } else {
      const k = Math.floor(start);
      const f = start - k;
      out[i] = samples[k]! * (1 - f) + (samples[Math.min(k + 1, samples.length - 1)] ?? 0) * f;
    }
  }
  return out;
}

/** A WAV file as the 8 kHz μ-law bytes a media stream carries. */
export function wavToMulaw(file: Buffer, name?: string): Buffer {
  const { samples, rate } = decodeWav(file, name);
  const at8k = resample(samples, rate, STREAM_RATE);
  const out = Buffer.allocUnsafe(at8k.length);
  for (let i = 0; i < at8k.length; i++) out[i] = g711.linearToMulaw(Math.round(Math.max(-1, Math.min(1, at8k[i]!)) * 32767));
  return out;
}

/** 8 kHz μ-law bytes as a WAV file (format 7, with the fact chunk a non-PCM format carries). */
export function mulawToWav(mulaw: Buffer): Buffer {
  const head = Buffer.alloc(58);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(50 + mulaw.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(18, 16);
  head.writeUInt16LE(MULAW, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(STREAM_RATE, 24);
  head.writeUInt32LE(STREAM_RATE, 28);
  head.writeUInt16LE(1, 32);
  head.writeUInt16LE(8, 34);
  head.writeUInt16LE(0, 36);
  head.write('fact', 38, 'ascii');
  head.writeUInt32LE(4, 42);
  head.writeUInt32LE(mulaw.length, 46);
  head.write('data', 50, 'ascii');
  head.writeUInt32LE(mulaw.length, 54);
  return Buffer.concat([head, mulaw]);
}

/** μ-law silence. */
export const MULAW_SILENCE = 0xff;
