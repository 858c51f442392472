/**
 * The columns of `execution_metrics`, in their documented order.
 *
 * This one table drives every place that handles a row without TypeORM's per-entity work: the multi-row
 * INSERT of the recorder, the CSV/JSON encoders and decoders, and the spill file. The entity in
 * ExecutionMetric.entity.ts declares the same columns for TypeORM and validation; a test checks that the
 * two agree.
 */

/** How a column's value is represented in a row, a CSV cell and a JSON value. */
export type ColumnKind = "text" | "integer" | "real" | "boolean" | "timestamp" | "json-array";

/** One column of `execution_metrics`. */
export interface ColumnSpec {
  /** snake_case column name, also the key in rows, CSV headers and JSON objects. */
  readonly name: keyof ExecutionMetricRow & string;
  /** camelCase property of the ExecutionMetric entity. */
  readonly property: string;
  readonly kind: ColumnKind;
}

function column(name: keyof ExecutionMetricRow & string, kind: ColumnKind): ColumnSpec {
  const property = name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return { name, property, kind };
}

/**
 * One execution in its stored, snake_case form: the shape of a database row, an NDJSON export line and a
 * spill-file line. Timestamps are ISO-8601 UTC strings with milliseconds (`2026-11-27T23:37:23.123Z`), which
 * sort as text in time order.
 */
export interface ExecutionMetricRow {
  execution_id: string;
  metric_version: string;
  skill_id: string;
  job_id: string | null;
  parent_execution_id: string | null;
  started_at: string;
  completed_at: string | null;
  total_duration_ms: number | null;
  status: ExecutionStatus;
  input_size_bytes: number | null;
  input_hash: string | null;
  input_complexity: number | null;
  input_summary: string | null;
  output_size_bytes: number | null;
  output_quality: number | null;
  output_summary: string | null;
  api_calls_count: number;
  api_calls_cost_usd: number;
  memory_used_mb: number | null;
  cpu_usage_percent: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  model_name: string | null;
  temperature: number | null;
  error_occurred: boolean;
  error_category: string | null;
  error_message: string | null;
  error_trace: string | null;
  warning_count: number;
  warnings: string[];
  validation_passed: boolean;
  correctness_score: number | null;
  user_feedback_received: boolean;
  user_satisfaction: number | null;
  agent_id: string | null;
  environment: string | null;
  notes: string | null;
  tags: string[];
}

/** Lifecycle state of an execution. Only `running` is unfinished. */
export type ExecutionStatus = "running" | "success" | "failure" | "timeout";

/** Every status, in a stable order. */
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ["running", "success", "failure", "timeout"];

/** Statuses of finished executions: the ones profiles count. */
export const FINISHED_STATUSES: readonly ExecutionStatus[] = ["success", "failure", "timeout"];

/** The schema version written into `metric_version` by this release. */
export const METRIC_VERSION = "1.0";

/** The columns in documented order (CSV header order, JSON key order). */
export const EXECUTION_METRIC_COLUMNS: readonly ColumnSpec[] = [
  column("execution_id", "text"),
  column("metric_version", "text"),
  column("skill_id", "text"),
  column("job_id", "text"),
  column("parent_execution_id", "text"),
  column("started_at", "timestamp"),
  column("completed_at", "timestamp"),
  column("total_duration_ms", "real"),
  column("status", "text"),
  column("input_size_bytes", "integer"),
  column("input_hash", "text"),
  column("input_complexity", "real"),
  column("input_summary", "text"),
  column("output_size_bytes", "integer"),
  column("output_quality", "real"),
  column("output_summary", "text"),
  column("api_calls_count", "integer"),
  column("api_calls_cost_usd", "real"),
  column("memory_used_mb", "real"),
  column("cpu_usage_percent", "real"),
  column("tokens_in", "integer"),
  column("tokens_out", "integer"),
  column("model_name", "text"),
  column("temperature", "real"),
  column("error_occurred", "boolean"),
  column("error_category", "text"),
  column("error_message", "text"),
  column("error_trace", "text"),
  column("warning_count", "integer"),
  column("warnings", "json-array"),
  column("validation_passed", "boolean"),
  column("correctness_score", "real"),
  column("user_feedback_received", "boolean"),
  column("user_satisfaction", "integer"),
  column("agent_id", "text"),
  column("environment", "text"),
  column("notes", "text"),
  column("tags", "json-array"),
];

/** Column names in documented order. */
export const EXECUTION_METRIC_COLUMN_NAMES: readonly string[] = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
