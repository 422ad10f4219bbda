// Gather on the mock: prompts, then up to `timeout` seconds for input, as Twilio's <Gather> does.
// https://www.twilio.com/docs/voice/twiml/gather
// - Input may come during the prompts; with bargeIn it stops them (the rest are not played), without
//   it the prompts play out and the input counts from their end.
// - `timeout` also runs between keys: the Gather ends that long after the last input, with the
//   digits so far.
// - The finishing key is not part of the digits; pressed first, it ends the Gather with no digits
//   (no input). Reaching numDigits ends it at once.
import type { CollectOptions, CollectResult } from '../adapter.js';
import { promptEvent, promptMs, sounding } from './media.js';
import { Operation, type LegContext } from './operation.js';
import { AUTO_SPEECH_TIMEOUT_MS, SAY_MS_PER_CHAR, ms, type CallerAction } from './script.js';

type EndedBy = 'key' | 'num-digits' | 'timeout' | 'speech';

export function collect(ctx: LegContext, o: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
  if (ctx.gone.aborted || signal?.aborted) {
    return Promise.resolve({ digits: '', finishedOnKey: '', callerHungUp: ctx.endedBy === 'caller' });
  }
  ctx.emit({
    type: 'gather',
    dtmf: o.dtmf,
    speech: o.speech,
    timeout: o.timeout,
    ...(o.numDigits !== undefined ? { numDigits: o.numDigits } : {}),
    finishOnKey: o.finishOnKey,
    bargeIn: o.bargeIn,
  });

  let digits = '';
  const op = new Operation<CollectResult>(ctx, signal, (why) => {
    ctx.sound.silence('outbound');
    ctx.emit({ type: 'gather-end', digits, finishedOnKey: '', endedBy: why });
    return { digits, finishedOnKey: '', callerHungUp: why === 'hangup' && ctx.endedBy === 'caller' };
  });

  const finish = (endedBy: EndedBy, finishedOnKey = '', speech?: { text: string; confidence: number }) => {
    ctx.sound.silence('outbound');
    ctx.emit({ type: 'gather-end', digits, finishedOnKey, ...(speech ? { speech } : {}), endedBy });
    op.settle({ digits, finishedOnKey, ...(speech ? { speech } : {}), callerHungUp: false });
  };

  // Prompts, each recorded as it starts; barge-in drops the ones not yet started.
  const pending: (() => void)[] = [];
  let promptsEnd = 0;
  for (const prompt of o.prompts) {
    pending.push(
      op.at(promptsEnd, () => {
        ctx.emit(promptEvent(prompt));
        sounding(ctx, prompt);
      }),
    );
    promptsEnd += promptMs(prompt, ctx.script);
  }
  // The prompts' end is silence again (a barge-in makes it sooner).
  pending.push(op.at(promptsEnd, () => ctx.sound.silence('outbound')));
  let barged = false;
  const bargeIn = () => {
    if (!o.bargeIn || barged) return;
    barged = true;
    for (const cancel of pending) cancel();
    ctx.sound.silence('outbound');
  };
  const promptsOver = () => barged || op.elapsed >= promptsEnd;

  let cancelTimeout = op.at(promptsEnd + ms(o.timeout), () => finish('timeout'));
  /** Ends the Gather `delay` ms after this input, counted from the prompts' end while they still play. */
  const end = (delay: number, fn: () => void) => {
    cancelTimeout();
    cancelTimeout = op.at((promptsOver() ? op.elapsed : promptsEnd) + delay, fn);
  };

  const press = (keys: string) => {
    if (!o.dtmf) return ctx.emit({ type: 'digits', digits: keys, ignored: true });
    ctx.emit({ type: 'digits', digits: keys });
    bargeIn();
    for (const key of keys) {
      if (o.finishOnKey !== '' && o.finishOnKey.includes(key)) return end(0, () => finish('key', key));
      digits += key;
      if (o.numDigits !== undefined && digits.length >= o.numDigits) return end(0, () => finish('num-digits'));
    }
    end(ms(o.timeout), () => finish('timeout'));
  };

  const speak = (text: string, confidence: number) => {
    if (!o.speech) return ctx.emit({ type: 'speech', text, confidence, ignored: true });
    ctx.emit({ type: 'speech', text, confidence });
    bargeIn();
    const silence = o.speechTimeout === 'auto' ? AUTO_SPEECH_TIMEOUT_MS : ms(o.speechTimeout ?? o.timeout);
    end(text.length * SAY_MS_PER_CHAR + silence, () => finish('speech', '', { text, confidence }));
  };

  // Keys and speech from the script's timeline reach the Gather as they come.
  const off = ctx.hear({ digits: press, speech: speak });
  void op.promise.then(off);

  const when = (after: number | undefined) => (after !== undefined ? ms(after) : promptsEnd);
  const act = (action: CallerAction) => {
    if ('record' in action) ctx.emit({ type: 'script', warning: 'a record action met a Gather: the caller stays silent' });
    else if ('digits' in action) op.at(when(action.after), () => press(action.digits));
    else if ('speech' in action) op.at(when(action.after), () => speak(action.speech, action.confidence ?? 0.9));
    else if ('hangup' in action) op.at(when(action.after), () => ctx.callerHangup());
  };
  const next = ctx.nextAction('gather');
  // An interactive caller is asked once the prompts have been heard.
  if (typeof next === 'function') op.at(promptsEnd, () => void next().then(act));
  else act(next);

  return op.promise;
}
