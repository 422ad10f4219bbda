// <Gather>: collect digits and/or speech while Say/Play/Pause prompts play (barge-in).
// With input, or always with actionOnEmptyResult, the action (default: this document) gets
// Digits/SpeechResult/Confidence/FinishedOnKey; without input the next verb runs.
// https://www.twilio.com/docs/voice/twiml/gather (reference §1.3)
import { actionOutcome, bool, CONTINUE, num, str, type Verb } from '../verb.js';
import { promptsOf } from '../prompts.js';

/**
 * `auto`, or seconds: the grammar keeps speechTimeout as text (it may be `auto`), so `"2"` is 2 s.
 * Default, and for a value Twilio would reject with warning 13327: the Gather's timeout.
 */
function speechTimeoutOf(v: unknown, timeout: number): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : timeout;
}

export const gather: Verb = {
  names: ['Gather'],
  async run(node, ctx) {
    await ctx.answer();
    const input = str(node, 'input', 'dtmf').toLowerCase().split(/\s+/);
    const timeout = num(node, 'timeout', 5);
    const speechTimeout = speechTimeoutOf(node.attributes['speechTimeout'], timeout);
    const numDigits = num(node, 'numDigits', 0);
    const hints = str(node, 'hints');
    const result = await ctx.leg.collect(
      {
        prompts: promptsOf(node.children, ctx.resolve),
        dtmf: input.includes('dtmf'),
        speech: input.includes('speech'),
        timeout,
        ...(numDigits > 0 ? { numDigits } : {}),
        finishOnKey: str(node, 'finishOnKey', '#'),
        speechTimeout,
        language: str(node, 'language', 'en-US'),
        ...(hints ? { hints } : {}),
        bargeIn: bool(node, 'bargeIn', true),
      },
      ctx.signal,
    );
    if (result.callerHungUp) return { kind: 'end', reason: 'caller hung up during <Gather>' };
    const params: Record<string, string> = {};
    if (result.digits !== '') params['Digits'] = result.digits;
    if (result.digits !== '' || result.finishedOnKey !== '') params['FinishedOnKey'] = result.finishedOnKey;
    if (result.speech) {
      params['SpeechResult'] = result.speech.text;
      params['Confidence'] = String(result.speech.confidence);
    }
    const gotInput = result.digits !== '' || result.speech !== undefined;
    ctx.emit({ type: 'gathered', input: gotInput, ...params });
    if (!gotInput && !bool(node, 'actionOnEmptyResult', false)) return CONTINUE;
    return actionOutcome(node, ctx, params, false, true);
  },
};
