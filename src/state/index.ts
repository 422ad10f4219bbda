// The call store a runtime uses: Redis when the config has a `state` section, else in-process.
import type { Logger } from '../log.js';
import { MemoryCallStore } from './memory.js';
import { RedisCallStore, type StateConfig } from './redis.js';
import type { CallStore } from './types.js';

export type { StateConfig };

export function createCallStore(config: { state?: StateConfig; calls: { keepEnded: number; keepEndedSeconds: number } }, log: Logger): CallStore {
  const retention = { keepEnded: config.calls.keepEnded, keepEndedSeconds: config.calls.keepEndedSeconds };
  return config.state ? new RedisCallStore({ ...config.state, ...retention }, log) : new MemoryCallStore(retention);
}
