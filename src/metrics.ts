// Metrics of the process, which any layer may count into without knowing who serves them: the
// runtime's /metrics (src/server/metrics.ts) serves them beside its own. Process-wide, since the
// layers that count them (the state store) are not handed a runtime's registry, and Node's
// default metrics watch the process (a GC observer, an event-loop monitor: started once, not
// once per runtime). Every runtime of the process serves the same values.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** Every metric's name starts with this. */
export const METRIC_PREFIX = 'didml_';

/**
 * Failed operations of the shared state store (src/state/): `stateErrors.inc({ operation: 'write' })`.
 * `operation` is one fixed word per kind of operation (connect, read, write, command, subscribe...),
 * never an id or a message, so the series stay few.
 */
export const stateErrors = new Counter({
  name: `${METRIC_PREFIX}state_errors_total`,
  help: 'Failed operations of the shared state store (Redis), by operation',
  labelNames: ['operation'] as const,
  registers: [],
});

let registry: Registry | undefined;

/** The process's metrics (Node's defaults, state-store errors), made on first use. */
export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    registry.registerMetric(stateErrors);
  }
  return registry;
}
