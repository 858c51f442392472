import type { HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { COLUMN_RULES, type NumberColumn, numberIssue } from "../model/column-rules";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { LIMITS, truncateText } from "../model/limits";
import { MetricValidationError, type ValidationIssue } from "../errors";
import { applyClassifier } from "../tracking/apply-classifier";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { isoTimestamp } from "../tracking/iso-timestamp";
import { messageOf } from "../tracking/error-message";
import { newExecutionRow } from "../tracking/new-execution-row";
import { redactErrorText } from "../tracking/redact-error";
import { latencyAcceptable } from "../tracking/latency-budget";
import { safeReport } from "../tracking/safe-report";
import { DEFAULT_SPEC } from "../tracking/tracking-options";
import { identifierIssue } from "../tracking/value-rules";
import { GEN_AI, SKILL_METRICS_ATTRIBUTES } from "./genai-attributes";
import { errorOfSpan } from "./span-error";
import type { SpanLineage } from "./span-lineage";

/** `SpanStatusCode.ERROR` of @opentelemetry/api (a stable enum value), without loading the api here. */
const STATUS_ERROR = 2;

/**
 * A duration HrTime ([seconds, nanoseconds]) as milliseconds with the fraction: the integer nanoseconds are
 * exact below 2^53 (104 days), so one division gives the nearest double to the exact value.
 */
function durationMillis(time: HrTime): number {
  return (time[0] * 1e9 + time[1]) / 1e6;
}

/** An epoch HrTime as whole epoch milliseconds (floored, as stored timestamps are), exactly. */
function epochMillis(time: HrTime): number {
  return time[0] * 1e3 + Math.floor(time[1] / 1e6);
}

/**
 * The row of one ended span, complete and valid: timing from the span's own high-resolution start, end and
 * duration, status from its status (ERROR → failure, or timeout when the classifier says so), the GenAI
 * attributes in their columns, `job_id` = the trace id, `parent_execution_id` from `lineage`.
 *
 * An attribute whose value breaks its column's rule is left out (the column keeps its default) and reported
 * to the sink's error handler as a MetricValidationError naming the attribute and the rule: the execution is
 * still recorded, as a tracked call's would be after a bad recordTokens().
 */
export function rowOfSpan(span: ReadableSpan, skillId: string, lineage: SpanLineage | undefined, sink: ExecutionSink): ExecutionMetricRow {
  const row = newExecutionRow(skillId, DEFAULT_SPEC, undefined, lineage?.executionId ?? undefined);
  if (lineage !== undefined) row.parent_execution_id = lineage.parentExecutionId;
  row.job_id = span.spanContext().traceId;
  // Exact from the span's own clock: started_at and completed_at are its start and end, floored to the ms.
  const duration = Math.max(0, durationMillis(span.duration));
  row.started_at = isoTimestamp(epochMillis(span.startTime));
  row.completed_at = isoTimestamp(epochMillis(span.endTime));
  row.total_duration_ms = duration;
  if (sink.environment) row.environment = sink.environment;
  if (sink.agentId) row.agent_id = sink.agentId;
  // The collector's per-skill budget (a span has no options of its own); see latency-budget.ts.
  row.latency_acceptable = latencyAcceptable(duration, sink.latencyBudgetsMillis?.get(skillId));

  // Literal keys, one read site each: V8 caches these lookups, which a shared keyed read would not.
  const attributes = span.attributes;
  const issues: ValidationIssue[] = [];
  row.tokens_in = countValue(attributes["gen_ai.usage.input_tokens"], GEN_AI.inputTokens, "tokens_in", issues);
  row.tokens_out = countValue(attributes["gen_ai.usage.output_tokens"], GEN_AI.outputTokens, "tokens_out", issues);
  row.temperature = realValue(attributes["gen_ai.request.temperature"], GEN_AI.temperature, "temperature", issues);
  row.model_name =
    nameValue(attributes["gen_ai.request.model"], GEN_AI.requestModel, "model_name", issues) ??
    nameValue(attributes["gen_ai.response.model"], GEN_AI.responseModel, "model_name", issues);
  row.api_calls_cost_usd = realValue(attributes["skill_metrics.cost_usd"], SKILL_METRICS_ATTRIBUTES.costUsd, "api_calls_cost_usd", issues) ?? 0;
  const agentId = nameValue(attributes["gen_ai.agent.id"], GEN_AI.agentId, "agent_id", issues);
  if (agentId !== null) row.agent_id = agentId;
  if (issues.length > 0) safeReport(sink, new MetricValidationError(issues, `attribute of span "${span.name}" (skill "${skillId}")`));

  if (span.status.code === STATUS_ERROR) {
    recordFailure(row, span, sink, duration);
  } else {
    row.status = "success";
  }
  return row;
}

/** The largest count a count column holds (tokens_in, tokens_out), from the column table. */
const MAX_COUNT = COLUMN_RULES.tokens_in.max ?? Number.MAX_SAFE_INTEGER;

/**
 * A count attribute's value for `column`, or null when absent or bad (then an issue naming the attribute and
 * the rule is added). The usual good value passes one inline check; numberIssue, which names the rule as
 * everywhere else, runs only for a bad one.
 */
function countValue(value: unknown, attribute: string, column: "tokens_in" | "tokens_out", issues: ValidationIssue[]): number | null {
  if (value === undefined) return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_COUNT) return value;
  return refuse(value, attribute, column, issues);
}

/** A real-number attribute's value for `column` (within the column's range), or null when absent or bad. */
function realValue(value: unknown, attribute: string, column: "temperature" | "api_calls_cost_usd", issues: ValidationIssue[]): number | null {
  if (value === undefined) return null;
  if (typeof value === "number" && numberIssue(column, value) === null) return value;
  return refuse(value, attribute, column, issues);
}

function refuse(value: unknown, attribute: string, column: NumberColumn, issues: ValidationIssue[]): null {
  const issue = numberIssue(column, value) ?? { field: column, value, rule: "isInt", message: "must be an integer" };
  issues.push({ ...issue, field: attribute, message: `(→ ${column}) ${issue.message}` });
  return null;
}

/** Names (models, agents) already found good: spans repeat a handful of them, so each is checked once. */
const GOOD_NAMES = new Set<string>();
const GOOD_NAMES_LIMIT = 1024;

/** A string attribute's value for name column `column`, or null when absent or bad (an issue is added). */
function nameValue(value: unknown, attribute: string, column: string, issues: ValidationIssue[]): string | null {
  if (value === undefined) return null;
  if (typeof value === "string" && GOOD_NAMES.has(value)) return value;
  const issue = identifierIssue(column, value, LIMITS.identifierLength);
  if (issue === null) {
    if (GOOD_NAMES.size < GOOD_NAMES_LIMIT) GOOD_NAMES.add(value as string);
    return value as string;
  }
  issues.push({ ...issue, field: attribute, message: `(→ ${column}) ${issue.message}` });
  return null;
}

/** A failed span: status, error_category through the classifier, message and trace (redacted, then cut). */
function recordFailure(row: ExecutionMetricRow, span: ReadableSpan, sink: ExecutionSink, durationMillis: number): void {
  const { error, stack } = errorOfSpan(span);
  row.error_occurred = true;
  row.error_message = truncateText(redactErrorText(sink, messageOf(error), "error_message"), LIMITS.textCap);
  row.error_trace = stack === undefined ? null : truncateText(redactErrorText(sink, stack, "error_trace"), LIMITS.traceCap);
  const category = applyClassifier(sink.classifyError, sink, error, { skillId: row.skill_id, durationMillis });
  row.error_category = category;
  // As for a tracked call: a classifier calling a failure a timeout makes it one.
  row.status = category === "timeout" ? "timeout" : "failure";
}
