// The FreeSWITCH side of the media seam (fsmrf.ts) for what can be checked without FreeSWITCH:
// which applications and API commands go out for speech recognition and call recording, and how
// the event socket's DETECTED_SPEECH events and -ERR answers are read. The endpoint here is an
// EventEmitter shaped like drachtio-fsmrf's Endpoint; the ESL texts are those FreeSWITCH documents.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FsmrfEndpoint } from '../../src/telephony/drachtio/fsmrf.js';
import { readRecognition } from '../../src/telephony/drachtio/nlsml.js';

const UUID = '6b8f8e2e-0000-4000-8000-000000000001';

function event(headers: Record<string, string>, body = '') {
  return { getHeader: (n: string) => headers[n], getBody: () => body };
}

class FakeFsEndpoint extends EventEmitter {
  readonly uuid = UUID;
  readonly local = { sdp: 'v=0' };
  readonly conn = Object.assign(new EventEmitter(), { subscribed: [] as string[], subscribe(e: string) { this.subscribed.push(e); } });
  readonly calls: string[] = [];
  apiBody = '+OK';
  execute(app: string, arg?: string) {
    this.calls.push(`execute ${app} ${arg ?? ''}`.trim());
    return Promise.resolve(event({}));
  }
  play(file: string) {
    this.calls.push(`play ${file}`);
    return Promise.resolve({});
  }
  record(file: string, opts: object) {
    this.calls.push(`record ${file} ${JSON.stringify(opts)}`);
    return Promise.resolve({ recordSeconds: '3' });
  }
  api(command: string, args: string) {
    this.calls.push(`api ${command} ${args}`);
    return Promise.resolve(event({}, this.apiBody));
  }
}

function endpoint(asr?: { engine: string; grammar?: string }) {
  const fs = new FakeFsEndpoint();
  const ep = new FsmrfEndpoint(fs as never, { tts: { engine: 'flite', voice: 'kal' }, ...(asr ? { asr } : {}) });
  return { fs, ep };
}

describe('FsmrfEndpoint: speech', () => {
  it('starts detect_speech with the engine and the grammar filled in, and reads its events', async () => {
    const { fs, ep } = endpoint({ engine: 'unimrcp:nuance', grammar: '{speech-language=${language}}builtin:speech/transcribe?hints=${hints}' });
    const seen: unknown[] = [];
    const stop = await ep.recognize({ language: 'en-GB', hints: 'billing, sales' }, { speaking: () => seen.push('speaking'), heard: (r) => seen.push(r) });
    // fire_asr_events first: FreeSWITCH fires the recogniser's events as they happen (barge-in over TTS).
    expect(fs.calls).toEqual([`api uuid_setvar ${UUID} fire_asr_events true`, 'execute detect_speech unimrcp:nuance {speech-language=en-GB}builtin:speech/transcribe?hints=billing%2C%20sales didml']);
    expect(fs.conn.subscribed).toEqual(['DETECTED_SPEECH']);
    const name = `esl::event::DETECTED_SPEECH::${UUID}`;
    fs.conn.emit(name, event({ 'Speech-Type': 'begin-speaking' }));
    fs.conn.emit(name, event({ 'Speech-Type': 'detected-speech' }, '<?xml version="1.0"?><result><interpretation grammar="g" confidence="0.87"><instance>billing</instance><input mode="speech">billing please</input></interpretation></result>'));
    expect(seen).toEqual(['speaking', { text: 'billing please', confidence: 0.87 }]);
    await stop();
    expect(fs.calls.at(-1)).toBe('execute detect_speech stop');
    fs.conn.emit(name, event({ 'Speech-Type': 'begin-speaking' }));
    expect(seen).toHaveLength(2);
  });

  it('uses the default grammar, and refuses without a recogniser', async () => {
    const { fs, ep } = endpoint({ engine: 'pocketsphinx' });
    await ep.recognize({ language: 'en-US' }, { speaking: () => undefined, heard: () => undefined });
    expect(fs.calls).toEqual([`api uuid_setvar ${UUID} fire_asr_events true`, 'execute detect_speech pocketsphinx builtin:speech/transcribe didml']);
    await expect(endpoint().ep.recognize({ language: 'en-US' }, { speaking: () => undefined, heard: () => undefined })).rejects.toThrow(/drachtio.asr/);
  });
});

describe('FsmrfEndpoint: recording a call', () => {
  it('sets RECORD_STEREO and starts and stops uuid_record on the channel', async () => {
    const { fs, ep } = endpoint();
    const { finished } = await ep.recordSession('/rec/RE1.wav', 2);
    await ep.stopRecordSession('/rec/RE1.wav');
    expect(fs.calls).toEqual([`api uuid_setvar ${UUID} RECORD_STEREO true`, `api uuid_record ${UUID} start /rec/RE1.wav`, `api uuid_record ${UUID} stop /rec/RE1.wav`]);
    // Complete only when FreeSWITCH says it closed that file.
    let done = false;
    void finished.then(() => (done = true));
    fs.conn.emit(`esl::event::RECORD_STOP::${UUID}`, event({ 'Record-File-Path': '/rec/other.wav' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(false);
    fs.conn.emit(`esl::event::RECORD_STOP::${UUID}`, event({ 'Record-File-Path': '/rec/RE1.wav' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(true);
    expect(fs.conn.subscribed).toContain('RECORD_STOP');
  });

  it('<Record>: tells when the file is complete, on FreeSWITCH\'s RECORD_STOP for it', async () => {
    const { fs, ep } = endpoint();
    let finished: Promise<void> | undefined;
    expect(await ep.record('/rec/RE2.wav', { maxLength: 30, silenceSeconds: 5, beep: true }, (f) => (finished = f))).toEqual({ seconds: 3 });
    expect(fs.calls).toEqual(['play tone_stream://%(500,0,800)', 'record /rec/RE2.wav {"timeLimitSecs":30,"silenceThresh":200,"silenceHits":5}']);
    let done = false;
    void finished!.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(false);
    fs.conn.emit(`esl::event::RECORD_STOP::${UUID}`, event({ 'Record-File-Path': '/rec/RE2.wav' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(true);
  });

  it('turns an -ERR answer into an error', async () => {
    const { fs, ep } = endpoint();
    fs.apiBody = '-ERR Cannot open /rec/RE1.wav\n';
    await expect(ep.recordSession('/rec/RE1.wav', 1)).rejects.toThrow('uuid_setvar: Cannot open /rec/RE1.wav');
  });
});

describe('readRecognition (NLSML)', () => {
  it('reads the first interpretation, its confidence on 0-1 whatever the scale', () => {
    expect(readRecognition('<result><interpretation confidence="87"><input mode="speech">one  two\n three</input></interpretation><interpretation confidence="10"><input>other</input></interpretation></result>')).toEqual({
      text: 'one two three',
      confidence: 0.87,
    });
    // pocketsphinx: a score, and the text in <input>
    expect(readRecognition('<interpretation grammar="g" score="96"><result name="match">yes</result><input mode="speech">yes</input></interpretation>')).toEqual({ text: 'yes', confidence: 0.96 });
    expect(readRecognition('<result xmlns="urn:ietf:params:xml:ns:mrcpv2"><interpretation><input confidence="0.5">fine &amp; you</input></interpretation></result>')).toEqual({ text: 'fine & you', confidence: 0.5 });
  });

  it('reads JSON results: mod_test\'s {text, confidence} and the best of alternatives[]', () => {
    expect(readRecognition('{"grammar": "g", "text": "agent", "confidence": 87.300000}')).toEqual({ text: 'agent', confidence: 0.873 });
    expect(readRecognition('{"is_final": true, "alternatives": [{"transcript": "billing please", "confidence": 0.91}, {"transcript": "building"}]}')).toEqual({ text: 'billing please', confidence: 0.91 });
    expect(readRecognition('{"grammar": "g", "text": "", "confidence": 0, "error": "no_input"}')).toBeUndefined();
  });

  it('takes a bare text as the text, and nothing heard as undefined', () => {
    expect(readRecognition('  hello there ')).toEqual({ text: 'hello there', confidence: 0 });
    expect(readRecognition('')).toBeUndefined();
    expect(readRecognition('<result><interpretation><input mode="speech"></input></interpretation></result>')).toBeUndefined();
    expect(readRecognition('<result><interpretation')).toBeUndefined();
  });
});

describe('FsmrfEndpoint: keys from outside the media', () => {
  it('queues them on the channel as received DTMF (uuid_recv_dtmf)', async () => {
    const { fs, ep } = endpoint();
    await ep.receiveDigits('#');
    expect(fs.calls).toEqual([`api uuid_recv_dtmf ${UUID} #`]);
  });
});

describe('FsmrfEndpoint: conferences', () => {
  it('is out of the room when the conference application completes, not before', async () => {
    const { fs, ep } = endpoint();
    let joined = false;
    Object.assign(fs, { join: () => ((joined = true), Promise.resolve({})) });
    const { left } = await ep.join('standup', { mute: false, moderator: true, waitMod: false });
    expect(joined).toBe(true);
    let out = false;
    void left.then(() => (out = true));
    fs.conn.emit(`esl::event::CHANNEL_EXECUTE_COMPLETE::${UUID}`, event({ Application: 'playback' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(out).toBe(false);
    fs.conn.emit(`esl::event::CHANNEL_EXECUTE_COMPLETE::${UUID}`, event({ Application: 'conference' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(out).toBe(true);
    expect(fs.conn.listenerCount(`esl::event::CHANNEL_EXECUTE_COMPLETE::${UUID}`)).toBe(0);
  });

  it("mutes and unmutes its membership with drachtio-fsmrf's member operations (conference <name> mute|unmute <member>)", async () => {
    const { fs, ep } = endpoint();
    Object.assign(fs, { confMute: () => (fs.calls.push('confMute'), Promise.resolve('+OK mute 3')), confUnmute: () => (fs.calls.push('confUnmute'), Promise.resolve('+OK unmute 3')) });
    await ep.conferenceMute(true);
    await ep.conferenceMute(false);
    expect(fs.calls).toEqual(['confMute', 'confUnmute']);
    Object.assign(fs, { confMute: () => Promise.reject(new Error('Endpoint not in conference')) });
    await expect(ep.conferenceMute(true)).rejects.toThrow('Endpoint not in conference');
  });
});

describe('FsmrfEndpoint: forks (mod_audio_fork)', () => {
  it('sends uuid_audio_fork start with the mix, 8k and the bug, and stop with the bug', async () => {
    const { fs, ep } = endpoint();
    await ep.forkStart('ws://127.0.0.1:4000/fork/abc', 'didml_fork_0', 'stereo');
    await ep.forkStop('didml_fork_0');
    expect(fs.calls).toEqual([`api uuid_audio_fork ${UUID} start ws://127.0.0.1:4000/fork/abc stereo 8k didml_fork_0`, `api uuid_audio_fork ${UUID} stop didml_fork_0`]);
  });

  it('a FreeSWITCH without mod_audio_fork is named as such; another -ERR is quoted', async () => {
    const { fs, ep } = endpoint();
    fs.apiBody = '-ERR uuid_audio_fork Command not found!\n';
    await expect(ep.forkStart('ws://127.0.0.1:4000/fork/abc', 'didml_fork_0', 'mono')).rejects.toThrow(/needs mod_audio_fork \(drachtio-freeswitch-modules\)/);
    fs.apiBody = '-ERR Operation Failed\n';
    await expect(ep.forkStop('didml_fork_0')).rejects.toThrow("FreeSWITCH's uuid_audio_fork stop failed: -ERR Operation Failed");
  });
});
