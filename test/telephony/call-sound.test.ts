// What a mock call sounds like for its forks (src/telephony/mock/call-sound.ts): the frame of a
// track at a moment, and forks told to catch up before it changes.
import { describe, expect, it } from 'vitest';
import { CallSound, TONE_FRAME } from '../../src/telephony/mock/call-sound.js';

const SILENT = Buffer.alloc(160, 0xff);

describe('CallSound', () => {
  it('silence by default; a tone until silenced, or for the length given', () => {
    let now = 0;
    const s = new CallSound(() => now);
    expect(s.frameAt('inbound', 0).equals(SILENT)).toBe(true);
    s.tone('outbound');
    expect(s.frameAt('outbound', 100_000).equals(TONE_FRAME)).toBe(true);
    expect(s.frameAt('inbound', 0).equals(SILENT)).toBe(true);
    now = 1000;
    s.tone('outbound', 60);
    expect(s.frameAt('outbound', 1040).equals(TONE_FRAME)).toBe(true);
    expect(s.frameAt('outbound', 1060).equals(SILENT)).toBe(true);
    // Quiet but not silence, and the same 160 bytes every frame.
    expect(TONE_FRAME).toHaveLength(160);
    expect(TONE_FRAME.equals(SILENT)).toBe(false);
  });

  it('audio plays from the moment it is given, frame after frame, then silence; a frame that began just before it carries its start', () => {
    let now = 500;
    const s = new CallSound(() => now);
    const audio = Buffer.concat([Buffer.alloc(160, 1), Buffer.alloc(160, 2), Buffer.alloc(80, 3)]);
    s.audio('inbound', audio);
    expect(s.frameAt('inbound', 490)[0]).toBe(1);
    expect(s.frameAt('inbound', 500)[0]).toBe(1);
    expect(s.frameAt('inbound', 520)[0]).toBe(2);
    const last = s.frameAt('inbound', 540);
    expect([last[0], last[79], last[80]]).toEqual([3, 3, 0xff]);
    expect(s.frameAt('inbound', 560).equals(SILENT)).toBe(true);
    now = 600;
    s.audio('inbound', Buffer.alloc(0));
    expect(s.frameAt('inbound', 600).equals(SILENT)).toBe(true);
  });

  it('tells every listening fork before a change, and no more once it stops listening', () => {
    const s = new CallSound(() => 0);
    const heard: string[] = [];
    const off = s.listen(() => heard.push('a'));
    s.listen(() => heard.push('b'));
    s.tone('outbound');
    off();
    s.silence('outbound');
    expect(heard).toEqual(['a', 'b', 'b']);
  });
});
