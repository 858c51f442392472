import type { ExecutionMetricRow } from "../entities/execution-metric-columns";

/**
 * What tracking hands finished executions to. Tracking knows nothing of databases: the collector implements
 * this over its recorder. Both methods are called on the skill's own call path, so they must be cheap and
 * must never throw.
 */
export interface ExecutionSink {
  /** Takes one finished (or abandoned) execution's complete row. */
  submit(row: ExecutionMetricRow): void;
  /** Takes a tracking failure (a bad value recorded through a context, a sink problem, …). */
  reportError(error: unknown): void;
}
