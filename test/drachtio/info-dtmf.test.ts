import { describe, expect, it } from 'vitest';
import { infoDigit } from '../../src/telephony/drachtio/info-dtmf.js';
import type { SrfRequest } from '../../src/telephony/drachtio/srf.js';

const info = (type: string | undefined, body: string) => ({ get: (h: string) => (h === 'Content-Type' ? type : undefined), body }) as unknown as SrfRequest;

describe('DTMF in SIP INFO', () => {
  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', '5'],
    ['Application/DTMF-Relay; charset=utf-8', 'Signal= *\r\nDuration=100', '*'],
    ['application/dtmf-relay', 'Signal=11\r\n', '#'],
    ['application/dtmf-relay', 'signal=a\r\n', 'A'],
    ['application/dtmf', '9', '9'],
    ['application/dtmf', ' 10\r\n', '*'],
  ])('%s %j is %s', (type, body, key) => expect(infoDigit(info(type, body))).toBe(key));

  it.each([
    ['application/dtmf-relay', 'Duration=160'],
    ['application/dtmf-relay', 'Signal=55'],
    ['application/media_control+xml', '<media_control/>'],
    [undefined, 'Signal=5'],
    ['application/dtmf', 'x'],
  ])('%s %j carries no key', (type, body) => expect(infoDigit(info(type, body))).toBeUndefined());
});
