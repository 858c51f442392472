import { plainToInstance } from "class-transformer";
import { validateSync, type ValidationError as ClassValidatorError } from "class-validator";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";
import {
  type ColumnKind,
  EXECUTION_METRIC_COLUMNS,
  type ExecutionMetricRow,
  METRIC_VERSION,
} from "../model/execution-metric-columns";
import { ISO_INSTANT_RULE, toStoredInstant } from "../model/iso-instant";
import { isStorableText, LIMITS, truncateText } from "../model/limits";
import { MetricValidationError, type ValidationIssue } from "../errors";
import { uuidv7 } from "../tracking/uuid-v7";

const COLUMN_BY_PROPERTY = new Map(EXECUTION_METRIC_COLUMNS.map((c) => [c.property, c]));
const COLUMN_NAMES = new Set(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
const TIMESTAMP_COLUMNS = EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "timestamp").map((c) => c.name);

/** Values a record may leave out, and what they become. */
const DEFAULTS: Partial<ExecutionMetricRow> = {
  metric_version: METRIC_VERSION,
  api_calls_count: 0,
  api_calls_cost_usd: 0,
  error_occurred: false,
  warning_count: 0,
  warnings: [],
  validation_passed: true,
  user_feedback_received: false,
  tags: [],
};

/** Free-text fields cut at their cap instead of being refused (the `cut` text columns of the rule table). */
const TEXT_CAPS: Partial<Record<keyof ExecutionMetricRow, number>> = Object.fromEntries(
  EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "text" && c.rules.cut).map((c) => [c.name, c.rules.maxLength]),
);

/** Options of {@link validateMetricRecord}. */
export interface ValidateRecordOptions {
  /** Give a record without execution_id a new UUIDv7 (default false: the id is required). */
  generateId?: boolean;
}

/**
 * Checks a snake_case plain record (the form of exports, imports and `collector.record()`) against every rule
 * of {@link ExecutionMetric}, and returns it as a complete stored row.
 *
 * Missing optional fields become null or their column default; free text over its cap is truncated; an
 * unknown field, a wrong type, a value out of range or an inconsistent lifecycle is refused.
 *
 * @throws MetricValidationError naming every broken field and rule.
 */
export function validateMetricRecord(plain: unknown, options: ValidateRecordOptions = {}): ExecutionMetricRow {
  if (plain === null || typeof plain !== "object" || Array.isArray(plain)) {
    throw new MetricValidationError([
      { field: "(record)", value: plain, rule: "isObject", message: "a record must be a plain object" },
    ]);
  }
  const input: Record<string, unknown> = { ...DEFAULTS, ...(plain as Record<string, unknown>) };
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(input)) {
    if (!COLUMN_NAMES.has(key as keyof ExecutionMetricRow)) {
      issues.push({ field: key, value: input[key], rule: "unknownField", message: "is not a column of execution_metrics" });
    }
  }
  if (issues.length > 0) throw new MetricValidationError(issues);

  // Checked before any truncation, which would replace such characters: a record is stored as given or refused.
  for (const [field, value] of Object.entries(input)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((text) => typeof text === "string" && !isStorableText(text))) {
      issues.push({
        field,
        value,
        rule: "storableText",
        message: "must not contain NUL characters or lone UTF-16 surrogates: they cannot be stored and read back exactly",
      });
    }
  }
  if (issues.length > 0) throw new MetricValidationError(issues);

  // Timestamps by the one strict reading (model/iso-instant.ts), Date objects included: a Date past year 9999
  // UTC would be stored as "+010000-…" text, which breaks the time order of the column. These issues replace
  // class-validator's for the same field below, whose "must be a Date instance" says less.
  const timestampIssues: ValidationIssue[] = [];
  for (const column of TIMESTAMP_COLUMNS) {
    const value = input[column];
    if (value === null || value === undefined) continue;
    if ((typeof value === "string" || value instanceof Date) && toStoredInstant(value) === null) {
      const shown = value instanceof Date ? (Number.isNaN(value.getTime()) ? "Invalid Date" : `Date ${value.getTime()} ms`) : `"${value}"`;
      timestampIssues.push({ field: column, value, rule: "isoInstant", message: `must be ${ISO_INSTANT_RULE}, got ${shown}` });
    }
  }

  if ((input.execution_id === undefined || input.execution_id === null) && options.generateId) {
    input.execution_id = uuidv7();
  }
  for (const [field, cap] of Object.entries(TEXT_CAPS)) {
    if (typeof input[field] === "string") input[field] = truncateText(input[field] as string, cap as number);
  }
  if (Array.isArray(input.warnings)) {
    input.warnings = input.warnings
      .slice(0, LIMITS.warningCount)
      .map((w) => (typeof w === "string" ? truncateText(w, LIMITS.textCap) : w));
  }

  const entity = plainToInstance(ExecutionMetric, input);
  const badTimestamps = new Set(timestampIssues.map((issue) => issue.field));
  for (const error of validateSync(entity, { forbidUnknownValues: false })) {
    issues.push(...toIssues(error).filter((issue) => !badTimestamps.has(issue.field)));
  }
  issues.push(...timestampIssues);
  if (issues.length === 0) issues.push(...lifecycleIssues(entity));
  if (issues.length > 0) throw new MetricValidationError(issues);
  return entityToRow(entity);
}

/** Converts an entity (from TypeORM or class-transformer) to its stored snake_case row. */
export function entityToRow(entity: ExecutionMetric): ExecutionMetricRow {
  const row: Record<string, unknown> = {};
  for (const column of EXECUTION_METRIC_COLUMNS) {
    const value = (entity as unknown as Record<string, unknown>)[column.property];
    if (column.kind === "timestamp") row[column.name] = value instanceof Date ? value.toISOString() : (value ?? null);
    // -0 is normalised to 0 on purpose: SQLite and PostgreSQL store them alike, so it could not round-trip.
    else if (value === 0) row[column.name] = 0;
    else row[column.name] = value ?? DEFAULTS[column.name] ?? null;
  }
  return row as unknown as ExecutionMetricRow;
}

function toIssues(error: ClassValidatorError): ValidationIssue[] {
  const column = COLUMN_BY_PROPERTY.get(error.property);
  const field = column?.name ?? error.property;
  // A missing value fails every rule of its column; "must not be less than 0" would not say what is wrong.
  if ((error.value === null || error.value === undefined) && column && !column.rules.nullable) {
    return [{ field, value: error.value ?? null, rule: "isDefined", message: `${field} is required and must not be null` }];
  }
  const constraints = error.constraints ?? {};
  const rules = Object.keys(constraints);
  // class-validator reports the rules in declaration order; a missing value fails them all, the first says why.
  // class-validator's messages name the camelCase property; the record's field is the snake_case column.
  return rules
    .slice(0, 1)
    .map((rule) => ({ field, value: error.value, rule, message: constraints[rule].replace(error.property, field) }));
}

/** Rules across fields: what a finished or running execution must and must not carry. */
function lifecycleIssues(entity: ExecutionMetric): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const finished = entity.status !== "running";
  if (finished && !entity.completedAt) {
    issues.push({
      field: "completed_at",
      value: entity.completedAt ?? null,
      rule: "requiredWhenFinished",
      message: `is required when status is "${entity.status}"`,
    });
  }
  if (finished && (entity.totalDurationMs === null || entity.totalDurationMs === undefined)) {
    issues.push({
      field: "total_duration_ms",
      value: entity.totalDurationMs ?? null,
      rule: "requiredWhenFinished",
      message: `is required when status is "${entity.status}"`,
    });
  }
  // A running execution has no duration yet, so nothing to hold against a budget.
  if (!finished && entity.latencyAcceptable !== null && entity.latencyAcceptable !== undefined) {
    issues.push({
      field: "latency_acceptable",
      value: entity.latencyAcceptable,
      rule: "nullWhileRunning",
      message: 'must be null when status is "running" (it has no duration yet)',
    });
  }
  if (entity.completedAt && entity.startedAt && entity.completedAt.getTime() < entity.startedAt.getTime()) {
    issues.push({
      field: "completed_at",
      value: entity.completedAt.toISOString(),
      rule: "notBeforeStart",
      message: "must not be earlier than started_at",
    });
  }
  return issues;
}
