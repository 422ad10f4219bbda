// Recordings the mock "makes": with a recordingsDir, a real WAV file of silence as long as the
// recording (8 kHz, 8-bit PCM, so a 2-minute recording is under 1 MB), so that an app or a test can
// fetch RecordingUrl; without one, a file: URL under /didml-mock/recordings that is never written.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Clock } from '../../clock.js';

const RATE = 8000;

export function wavOfSilence(seconds: number): Buffer {
  const samples = Math.max(0, Math.round(seconds * RATE));
  const buf = Buffer.alloc(44 + samples, 0x80); // 0x80 is silence in unsigned 8-bit PCM
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + samples, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(RATE, 28); // bytes per second
  buf.writeUInt16LE(1, 32); // block align
  buf.writeUInt16LE(8, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(samples, 40);
  return buf;
}

/** The text of a transcription beside its recording, when the recording is a file on disk (a recordingsDir). */
export async function saveTranscription(clock: Clock, url: string, text: string): Promise<void> {
  if (!url.startsWith('file:') || url.startsWith('file:///didml-mock/')) return;
  await clock.io(writeFile(fileURLToPath(url), text + '\n'));
}

export async function saveRecording(clock: Clock, dir: string | undefined, sid: string, seconds: number): Promise<string> {
  if (dir === undefined) return `file:///didml-mock/recordings/${sid}.wav`;
  const path = join(dir, `${sid}.wav`);
  // Real I/O: virtual time stands still until the file is written.
  await clock.io(mkdir(dir, { recursive: true }).then(() => writeFile(path, wavOfSilence(seconds))));
  return pathToFileURL(path).href;
}
