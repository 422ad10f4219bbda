// Media streams: <Connect><Stream> (bidirectional, holds the call until the stream ends),
// <Start><Stream> (a fork; the next verb runs at once), <Stop><Stream name>.
// ConversationRelay is a stream to the app's websocket too, as far as the call leg is concerned.
// https://www.twilio.com/docs/voice/twiml/stream
import type { Projected } from '../../grammar/index.js';
import type { RelaySettings, StreamOptions } from '../../telephony/adapter.js';
import { actionOutcome, attr, CONTINUE, methodOf, str, type Verb, type VerbContext } from '../verb.js';
import { startCallRecording } from './call-recording.js';

/** DIDML's top-level <Recording>: "Record the complete call", as <Start><Recording> does. */
export const didmlRecording: Verb = {
  names: ['Recording'],
  async run(node, ctx) {
    await startCallRecording(node, ctx);
    return CONTINUE;
  },
};

function streamOptions(noun: Projected, ctx: VerbContext): StreamOptions {
  const parameters: Record<string, string> = {};
  for (const p of noun.children) if (p.name === 'Parameter') parameters[str(p, 'name')] = str(p, 'value');
  const name = str(noun, 'name');
  const streamSid = ctx.newSid('MZ');
  const callback = str(noun, 'statusCallback');
  return {
    url: str(noun, 'url'),
    track: str(noun, 'track', 'inbound_track'),
    parameters,
    ...(name ? { name } : {}),
    callSid: ctx.call.callSid,
    accountSid: ctx.call.accountSid,
    streamSid,
    // The stream's statusCallback: StreamSid, StreamName, StreamEvent, StreamError, Timestamp
    // (with the call's AccountSid and CallSid). https://www.twilio.com/docs/voice/twiml/stream
    ...(callback
      ? {
          onStatus: (event, error) =>
            ctx.notify(ctx.resolve(callback), methodOf(noun, 'statusCallbackMethod'), {
              StreamSid: streamSid,
              ...(name ? { StreamName: name } : {}),
              StreamEvent: event,
              ...(error ? { StreamError: error } : {}),
              Timestamp: new Date().toISOString(),
            }),
        }
      : {}),
  };
}

/** `interruptible`, `welcomeGreetingInterruptible`: any (default), speech, dtmf, none; true and false stand for any and none. */
function interruptibleOf(noun: Projected, name: string): RelaySettings['interruptible'] {
  const v = str(noun, name, 'any').toLowerCase();
  const modes: Record<string, RelaySettings['interruptible']> = { any: 'any', speech: 'speech', dtmf: 'dtmf', none: 'none', true: 'any', false: 'none' };
  return modes[v] ?? 'any';
}

/**
 * <ConversationRelay>'s settings for the backend: its attributes and <Language>s (Twilio's
 * language default, en-US). https://www.twilio.com/docs/voice/twiml/connect/conversationrelay
 */
function relaySettings(noun: Projected, ctx: VerbContext): RelaySettings {
  const optional = (name: string) => {
    const v = str(noun, name);
    return v ? { [name]: v } : {};
  };
  const languages: RelaySettings['languages'] = {};
  for (const l of noun.children) {
    if (l.name !== 'Language' || !str(l, 'code')) continue;
    const voice = str(l, 'voice');
    languages[str(l, 'code')] = voice ? { voice } : {};
  }
  return {
    sessionId: ctx.newSid('VX'),
    from: ctx.call.from,
    to: ctx.call.to,
    language: str(noun, 'language', 'en-US'),
    ...optional('welcomeGreeting'),
    ...optional('ttsLanguage'),
    ...optional('transcriptionLanguage'),
    ...optional('voice'),
    ...optional('hints'),
    preemptible: attr<boolean>(noun, 'preemptible') === true,
    reportInputDuringAgentSpeech: attr<boolean>(noun, 'reportInputDuringAgentSpeech') === true,
    partialPrompts: attr<boolean>(noun, 'partialPrompts') === true,
    dtmfDetection: attr<boolean>(noun, 'dtmfDetection') === true,
    interruptible: interruptibleOf(noun, 'interruptible'),
    welcomeGreetingInterruptible: interruptibleOf(noun, 'welcomeGreetingInterruptible'),
    languages,
  };
}

const CONNECTABLE = new Set(['Stream', 'ConversationRelay']);

export const connect: Verb = {
  names: ['Connect'],
  async run(node, ctx) {
    const noun = node.children.find((c) => CONNECTABLE.has(c.name));
    if (!noun) {
      const what = node.children[0]?.name ?? 'nothing';
      return { kind: 'end', reason: `<Connect> to <${what}> is not supported by this runtime (it connects <Stream> and <ConversationRelay>)` };
    }
    await ctx.answer();
    const options = streamOptions(noun, ctx);
    if (noun.name === 'ConversationRelay') options.relay = relaySettings(noun, ctx);
    const r = await ctx.leg.connectStream(options, ctx.signal);
    return actionOutcome(node, ctx, r.params ?? {}, r.callerHungUp);
  },
};

export const start: Verb = {
  names: ['Start'],
  async run(node, ctx) {
    await ctx.answer();
    for (const noun of node.children) {
      if (noun.name === 'Stream') await ctx.leg.startStream(streamOptions(noun, ctx));
      else if (noun.name === 'Recording') await startCallRecording(noun, ctx);
      else ctx.emit({ type: 'warning', message: `<Start><${noun.name}> is not supported by this runtime; the call goes on without it` });
    }
    return CONTINUE;
  },
};

export const stop: Verb = {
  names: ['Stop'],
  async run(node, ctx) {
    for (const noun of node.children) {
      if (noun.name === 'Stream') await ctx.leg.stopStream(str(noun, 'name'));
      else ctx.emit({ type: 'warning', message: `<Stop><${noun.name}> is not supported by this runtime` });
    }
    return CONTINUE;
  },
};
