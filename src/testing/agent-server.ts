// A scenario's agent (`call.agent`): its files named relative to the scenario, and the agent's
// own server when the scenario names one (`server`: a module exporting start()), started for
// the call on 127.0.0.1 and closed after it, each within a bound.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallScript } from '../runtime/simulate.js';
import type { AgentScript } from '../telephony/mock/script.js';

/** Real seconds an agent's server may take to start or to close. */
const SERVER_BOUND_MS = 10_000;

export interface AgentServer {
  url: string;
  close(): Promise<void>;
}

const within = <T>(work: Promise<T>, what: string): Promise<T> =>
  new Promise<T>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`${what} took more than ${SERVER_BOUND_MS / 1000} s`)), SERVER_BOUND_MS);
    work.then(
      (v) => (clearTimeout(t), ok(v)),
      (e: unknown) => (clearTimeout(t), fail(e instanceof Error ? e : new Error(String(e)))),
    );
  });

/** The call with its agent ready: paths made absolute, the server started; `close` stops it. */
export async function prepareAgent(call: CallScript, dir: string): Promise<{ call: CallScript; close(): Promise<void> }> {
  const agent = call.agent as (AgentScript & { server?: string }) | undefined;
  if (!agent) return { call, close: () => Promise.resolve() };
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const { server: module, ...rest } = agent;
  const ready: AgentScript = {
    ...rest,
    ...(rest.caller ? { caller: rest.caller.map((t) => ('audio' in t ? { audio: at(t.audio) } : t)) } : {}),
    ...(rest.saveAudio !== undefined ? { saveAudio: at(rest.saveAudio) } : {}),
  };
  if (module === undefined) return { call: { ...call, agent: ready }, close: () => Promise.resolve() };
  let started: AgentServer;
  try {
    const mod = (await import(pathToFileURL(at(module)).href)) as { start?: () => Promise<AgentServer> };
    if (typeof mod.start !== 'function') throw new Error('it exports no start() function; export async function start() returning { url, close }');
    started = await within(mod.start(), 'starting it');
    if (typeof started?.url !== 'string' || typeof started.close !== 'function') throw new Error('its start() must resolve to { url: "ws://127.0.0.1:…", close() }');
  } catch (e) {
    throw new Error(`call.agent.server ${module}: ${(e as Error).message}`, { cause: e });
  }
  return {
    call: { ...call, agent: { ...ready, url: ready.url ?? started.url } },
    close: () => within(started.close(), `closing the agent server ${module}`).catch(() => undefined),
  };
}
