import type { ExecutionMetricRow } from "../entities/execution-metric-columns";
import type { ErrorClassifier } from "./classify-error";

/**
 * What tracking hands finished executions to. Tracking knows nothing of databases: the collector implements
 * this over its recorder. Both methods are called on the skill's own call path, so they must be cheap and
 * must never throw (tracking catches a throw anyway and reports it through reportError).
 *
 * Rows are complete and valid by construction; treat them as read-only (their `tags`/`warnings` arrays may be
 * shared frozen arrays).
 */
export interface ExecutionSink {
  /** Takes one finished (or abandoned) execution's complete row. */
  submit(row: ExecutionMetricRow): void;
  /** Takes a tracking failure (a bad value recorded through a context, a sink problem, …). */
  reportError(error: unknown): void;
  /** Classifier for executions whose own options name none (the collector's `classifyError` option). */
  readonly classifyError?: ErrorClassifier;
  /** environment written into rows whose own options name none. */
  readonly environment?: string | null;
  /** agent_id written into rows whose own options name none. */
  readonly agentId?: string | null;
}
