import { numberIssue } from "../model/column-rules";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { isStorableText, LIMITS, truncateText } from "../model/limits";
import { MetricValidationError, type ValidationIssue } from "../errors";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { safeReport } from "../tracking/safe-report";
import { identifierIssue, textIssue } from "../tracking/value-rules";
import type { MappableColumn } from "./SkillMetricsSpanProcessor";

const NUMBER_COLUMNS = new Set([
  "input_size_bytes",
  "output_size_bytes",
  "output_quality",
  "correctness_score",
  "api_calls_count",
  "api_calls_cost_usd",
] as const);
const NAME_COLUMNS = new Map<string, number>([
  ["environment", LIMITS.environmentLength],
  ["agent_id", LIMITS.identifierLength],
  ["job_id", LIMITS.identifierLength],
]);
const TEXT_COLUMNS = new Set(["input_summary", "output_summary", "notes"] as const);

/**
 * Writes the values a `map` callback gave into `row`, each checked against its column's rule first (the same
 * rules as a tracked call's recording methods): a bad value, or a column that is not mappable, is left out
 * and reported as a MetricValidationError naming it; the good ones are kept.
 */
export function applyMapped(row: ExecutionMetricRow, mapped: Partial<Record<MappableColumn, unknown>> | undefined, sink: ExecutionSink): void {
  if (mapped === undefined || mapped === null) return;
  const issues: ValidationIssue[] = [];
  const target = row as unknown as Record<string, unknown>;
  for (const [column, value] of Object.entries(mapped)) {
    if (value === undefined) continue;
    let issue: ValidationIssue | null;
    if (NUMBER_COLUMNS.has(column as never)) {
      issue = numberIssue(column as "api_calls_count", value);
      if (issue === null) target[column] = value;
    } else if (NAME_COLUMNS.has(column)) {
      issue = identifierIssue(column, value, NAME_COLUMNS.get(column)!);
      if (issue === null) target[column] = value;
    } else if (TEXT_COLUMNS.has(column as never)) {
      issue = textIssue(column, value);
      if (issue === null) target[column] = truncateText(value as string, LIMITS.textCap);
    } else if (column === "tags") {
      issue = tagsIssue(value);
      if (issue === null) row.tags = [...new Set(value as string[])];
    } else {
      issue = { field: column, value, rule: "mappableColumn", message: "is not a column a span processor's map may set" };
    }
    if (issue !== null) issues.push(issue);
  }
  if (issues.length > 0) safeReport(sink, new MetricValidationError(issues, `value given by the span processor's map for skill "${row.skill_id}"`));
}

function tagsIssue(value: unknown): ValidationIssue | null {
  const ok =
    Array.isArray(value) &&
    value.length <= LIMITS.tagCount &&
    value.every((tag) => typeof tag === "string" && tag.length > 0 && tag.length <= LIMITS.tagLength && isStorableText(tag));
  return ok
    ? null
    : { field: "tags", value, rule: "tags", message: `must be an array of at most ${LIMITS.tagCount} strings of 1 to ${LIMITS.tagLength} characters` };
}
