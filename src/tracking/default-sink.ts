import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { SkillMetricsError } from "../errors";
import type { ExecutionSink } from "./ExecutionSink";
import { LIMITS, truncateText } from "../model/limits";
import { redactErrorText } from "./redact-error";
import { safeReport } from "./safe-report";

/**
 * Executions that finish before any default sink (collector) exists are held, up to this many, and handed
 * to the first sink set with {@link setDefaultSink}. Beyond it they are counted as dropped and the count is
 * reported once to that sink. 10,000 rows are a few MB.
 */
export const PRE_START_BUFFER_LIMIT = 10_000;

/** Tracking errors held before any sink exists; beyond this they are only counted. */
const PRE_START_ERROR_LIMIT = 100;

/** The sink of last resort: holds what arrives before a collector exists, within bounds. */
class PreStartBuffer implements ExecutionSink {
  rows: ExecutionMetricRow[] = [];
  errors: unknown[] = [];
  droppedRows = 0;
  droppedErrors = 0;

  submit(row: ExecutionMetricRow): void {
    if (this.rows.length < PRE_START_BUFFER_LIMIT) this.rows.push(row);
    else this.droppedRows++;
  }

  reportError(error: unknown): void {
    if (this.errors.length < PRE_START_ERROR_LIMIT) this.errors.push(error);
    else this.droppedErrors++;
  }
}

let defaultSink: ExecutionSink | null = null;
let preStart = new PreStartBuffer();

/**
 * Makes `sink` the one that decorators and `track()` record to (the collector does this for itself unless
 * created with `setAsDefault: false`); null unsets it. The first sink set receives what was recorded
 * before, and one error counting the executions that did not fit the pre-start buffer.
 */
export function setDefaultSink(sink: ExecutionSink | null): void {
  defaultSink = sink;
  if (sink === null || (preStart.rows.length === 0 && preStart.errors.length === 0 && preStart.droppedRows === 0 && preStart.droppedErrors === 0)) {
    return;
  }
  const held = preStart;
  preStart = new PreStartBuffer();
  handOver(held, sink);
}

/** The sink decorators and `track()` record to, or null before any collector exists. */
export function getDefaultSink(): ExecutionSink | null {
  return defaultSink;
}

/** The default sink, or the pre-start buffer when there is none. @internal */
export function activeSink(): ExecutionSink {
  return defaultSink ?? preStart;
}

function handOver(held: PreStartBuffer, sink: ExecutionSink): void {
  for (const row of held.rows) {
    // The rows were finished before the collector's own defaults were known.
    if (row.environment === null && sink.environment) row.environment = sink.environment;
    if (row.agent_id === null && sink.agentId) row.agent_id = sink.agentId;
    // Nor was the collector's redaction hook: apply it now. These texts were already cut at their caps, so a
    // secret straddling the cap of an over-long text may have lost its tail before the hook sees it.
    if (row.error_message !== null) {
      row.error_message = truncateText(redactErrorText(sink, row.error_message, "error_message"), LIMITS.textCap);
    }
    if (row.error_trace !== null) {
      row.error_trace = truncateText(redactErrorText(sink, row.error_trace, "error_trace"), LIMITS.traceCap);
    }
    try {
      sink.submit(row);
    } catch (error) {
      safeReport(sink, error);
    }
  }
  for (const error of held.errors) safeReport(sink, error);
  if (held.droppedRows > 0 || held.droppedErrors > 0) {
    safeReport(
      sink,
      new SkillMetricsError(
        `${held.droppedRows} execution(s) and ${held.droppedErrors} tracking error(s) that happened before any collector ` +
          `existed were dropped: the pre-start buffer holds ${PRE_START_BUFFER_LIMIT} executions and ${PRE_START_ERROR_LIMIT} errors. ` +
          "Create the collector (ExecutionMetricsCollector.create) before calling tracked skills.",
        { code: "SKILL_METRICS_PRE_START_DROPPED" },
      ),
    );
  }
}
