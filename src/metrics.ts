// Metrics any layer may count into without knowing who serves them: the runtime's /metrics
// (src/server/metrics.ts) adds these to its registry. Process-wide, since the layers that count
// them (the state store) are not handed a runtime's registry; every runtime of the process
// serves the same values.
import { Counter } from 'prom-client';

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

/** The process-wide metrics, for a registry to serve. */
export const processMetrics = [stateErrors];
