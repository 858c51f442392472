import { LIMITS } from "./limits";

/**
 * The columns of `execution_metrics`, in their documented order, with the rules their values obey.
 *
 * This one table drives every place that handles a row without TypeORM's per-entity work: the multi-row
 * INSERT of the recorder, the CSV/JSON encoders and decoders, and the spill file (whose replay checks each
 * line against the rules here). The entity in ExecutionMetric.entity.ts declares the same columns and rules
 * for TypeORM and class-validator; tests check that the two agree. No TypeORM import here: this module is
 * loaded by code that must not pull TypeORM in.
 */

/** How a column's value is represented in a row, a CSV cell and a JSON value. */
export type ColumnKind = "text" | "integer" | "real" | "boolean" | "timestamp" | "json-array";

/**
 * What a column's value must be beyond its kind: the entity's class-validator rules, as data.
 *
 * By kind: `integer` is a whole number (@IsInt), `real` a finite number (@IsNumber), `text` a string
 * (@IsString), `boolean` true or false, `timestamp` a real calendar instant (stored as
 * `2026-11-27T23:37:23.123Z`), `json-array` an array of strings. Every string must be storable text
 * (see isStorableText in limits.ts).
 */
export interface ColumnRules {
  /** The value may be null (@IsOptional). */
  readonly nullable: boolean;
  /** Numbers: smallest value (@Min). */
  readonly min?: number;
  /** Numbers: largest value (@Max). */
  readonly max?: number;
  /**
   * Text, and each item of an array column: fewest characters (@MinLength), counted as class-validator
   * counts them (a surrogate pair is one character; so is a character followed by U+FE0E or U+FE0F).
   */
  readonly minLength?: number;
  /** Text, and each item of an array column: most characters (@MaxLength), counted as for minLength. */
  readonly maxLength?: number;
  /**
   * Free text that the SDK cuts at maxLength UTF-16 code units (ending in TRUNCATION_MARKER) instead of
   * refusing it; of an array column, only the first maxItems items are kept. So a stored value never exceeds
   * maxLength code units or maxItems items.
   */
  readonly cut?: boolean;
  /** Text: the pattern it matches (@Matches, @IsUUID). */
  readonly pattern?: RegExp;
  /** Text: the values it may take (@IsIn). */
  readonly oneOf?: readonly string[];
  /** Array columns: most items (@ArrayMaxSize). */
  readonly maxItems?: number;
}

/** One column of `execution_metrics`. */
export interface ColumnSpec {
  /** snake_case column name, also the key in rows, CSV headers and JSON objects. */
  readonly name: keyof ExecutionMetricRow & string;
  /** camelCase property of the ExecutionMetric entity. */
  readonly property: string;
  readonly kind: ColumnKind;
  /** What a stored value must be. */
  readonly rules: ColumnRules;
}

function column(
  name: keyof ExecutionMetricRow & string,
  kind: ColumnKind,
  rules: Partial<ColumnRules> = {},
): ColumnSpec {
  const property = name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return { name, property, kind, rules: { nullable: false, ...rules } };
}

/**
 * An RFC 4122/9562 UUID of version 1 to 8, the nil UUID or the max UUID, in either case: exactly what
 * class-validator's `isUUID(value, "all")` accepts (validator.js's pattern).
 */
export const UUID_PATTERN =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/i;

/** The form of metric_version: `major.minor`. */
export const METRIC_VERSION_PATTERN = /^\d+\.\d+$/;

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
  variant: string | null;
  experiment_id: string | null;
  latency_acceptable: boolean | null;
}

/** Lifecycle state of an execution. Only `running` is unfinished. */
export type ExecutionStatus = "running" | "success" | "failure" | "timeout";

/** Every status, in a stable order. */
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ["running", "success", "failure", "timeout"];

/** Statuses of finished executions: the ones profiles count. */
export const FINISHED_STATUSES: readonly ExecutionStatus[] = ["success", "failure", "timeout"];

/** The schema version written into `metric_version` by this release. */
export const METRIC_VERSION = "1.0";

const ID = LIMITS.identifierLength;
const COUNT = { min: 0, max: LIMITS.maxCount } as const;
const SHARE = { min: 0, max: 1 } as const;

/** The columns in documented order (CSV header order, JSON key order), with their rules. */
export const EXECUTION_METRIC_COLUMNS: readonly ColumnSpec[] = [
  column("execution_id", "text", { pattern: UUID_PATTERN }),
  column("metric_version", "text", { pattern: METRIC_VERSION_PATTERN }),
  column("skill_id", "text", { minLength: 1, maxLength: ID }),
  column("job_id", "text", { nullable: true, maxLength: ID }),
  column("parent_execution_id", "text", { nullable: true, pattern: UUID_PATTERN }),
  column("started_at", "timestamp"),
  column("completed_at", "timestamp", { nullable: true }),
  column("total_duration_ms", "real", { nullable: true, min: 0 }),
  column("status", "text", { oneOf: EXECUTION_STATUSES }),
  column("input_size_bytes", "integer", { nullable: true, ...COUNT }),
  column("input_hash", "text", { nullable: true, maxLength: LIMITS.inputHashLength }),
  column("input_complexity", "real", { nullable: true }),
  column("input_summary", "text", { nullable: true, maxLength: LIMITS.textCap, cut: true }),
  column("output_size_bytes", "integer", { nullable: true, ...COUNT }),
  column("output_quality", "real", { nullable: true, ...SHARE }),
  column("output_summary", "text", { nullable: true, maxLength: LIMITS.textCap, cut: true }),
  column("api_calls_count", "integer", COUNT),
  column("api_calls_cost_usd", "real", { min: 0 }),
  column("memory_used_mb", "real", { nullable: true }),
  column("cpu_usage_percent", "real", { nullable: true, min: 0 }),
  column("tokens_in", "integer", { nullable: true, ...COUNT }),
  column("tokens_out", "integer", { nullable: true, ...COUNT }),
  column("model_name", "text", { nullable: true, maxLength: ID }),
  column("temperature", "real", { nullable: true, min: 0, max: 10 }),
  column("error_occurred", "boolean"),
  column("error_category", "text", { nullable: true, maxLength: LIMITS.errorCategoryLength }),
  column("error_message", "text", { nullable: true, maxLength: LIMITS.textCap, cut: true }),
  column("error_trace", "text", { nullable: true, maxLength: LIMITS.traceCap, cut: true }),
  column("warning_count", "integer", COUNT),
  column("warnings", "json-array", { maxLength: LIMITS.textCap, maxItems: LIMITS.warningCount, cut: true }),
  column("validation_passed", "boolean"),
  column("correctness_score", "real", { nullable: true, ...SHARE }),
  column("user_feedback_received", "boolean"),
  column("user_satisfaction", "integer", { nullable: true, min: 1, max: 5 }),
  column("agent_id", "text", { nullable: true, maxLength: ID }),
  column("environment", "text", { nullable: true, maxLength: LIMITS.environmentLength }),
  column("notes", "text", { nullable: true, maxLength: LIMITS.textCap, cut: true }),
  column("tags", "json-array", { minLength: 1, maxLength: LIMITS.tagLength, maxItems: LIMITS.tagCount }),
  column("variant", "text", { nullable: true, minLength: 1, maxLength: LIMITS.variantLength }),
  column("experiment_id", "text", { nullable: true, minLength: 1, maxLength: ID }),
  column("latency_acceptable", "boolean", { nullable: true }),
];

/** Column names in documented order. */
export const EXECUTION_METRIC_COLUMN_NAMES: readonly string[] = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
