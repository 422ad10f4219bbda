// Test audio: WAV files of a tone in any common format, written here so no binary fixture is needed.

/** A WAV of `seconds` of a 440 Hz tone at `rate`, `channels`, in PCM of `bits` or float (tag 3). */
export function toneWav(o: { rate: number; channels?: number; bits?: number; tag?: number; seconds?: number; amplitude?: number }): Buffer {
  const channels = o.channels ?? 1;
  const bits = o.bits ?? 16;
  const tag = o.tag ?? 1;
  const n = Math.round(o.rate * (o.seconds ?? 0.5));
  const width = bits / 8;
  const data = Buffer.alloc(n * channels * width);
  const a = o.amplitude ?? 0.5;
  for (let i = 0; i < n; i++) {
    const v = a * Math.sin((2 * Math.PI * 440 * i) / o.rate);
    for (let c = 0; c < channels; c++) {
      const at = (i * channels + c) * width;
      if (tag === 3) data.writeFloatLE(v, at);
      else if (bits === 8) data[at] = Math.round(v * 127) + 128;
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32767), at);
      else if (bits === 24) data.writeIntLE(Math.round(v * 8388607), at, 3);
      else data.writeInt32LE(Math.round(v * 2147483647), at);
    }
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(tag, 20);
  head.writeUInt16LE(channels, 22);
  head.writeUInt32LE(o.rate, 24);
  head.writeUInt32LE(o.rate * channels * width, 28);
  head.writeUInt16LE(channels * width, 32);
  head.writeUInt16LE(bits, 34);
  head.write('data', 36, 'ascii');
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

