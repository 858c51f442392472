import type { ValidationIssue } from "../errors";
import { type ColumnRules, EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "./execution-metric-columns";

/** The columns that hold numbers. */
export type NumberColumn = {
  [K in keyof ExecutionMetricRow]: ExecutionMetricRow[K] extends number | null ? (ExecutionMetricRow[K] extends string | boolean ? never : K) : never;
}[keyof ExecutionMetricRow];

/**
 * Each column's rules, by name: the one place where a range such as 0–1 or 1–5 is written. Read by the live
 * context's setters, by feedback, by the entity's class-validator decorators (and so by `record()`, import and
 * spill replay) and by the stored-row check.
 */
export const COLUMN_RULES: Readonly<Record<keyof ExecutionMetricRow, ColumnRules>> = Object.fromEntries(
  EXECUTION_METRIC_COLUMNS.map((column) => [column.name, column.rules]),
) as Record<keyof ExecutionMetricRow, ColumnRules>;

const KIND = new Map(EXECUTION_METRIC_COLUMNS.map((column) => [column.name, column.kind]));

/**
 * The first rule a value for number column `column` breaks, as the entity's validation names it (`isInt` or
 * `isNumber`, then `min`, `max`), or null when the value is good. A null value is not checked here.
 */
export function numberIssue(column: NumberColumn, value: unknown): ValidationIssue | null {
  const rules = COLUMN_RULES[column];
  const integer = KIND.get(column) === "integer";
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return integer
      ? { field: column, value, rule: "isInt", message: "must be an integer" }
      : { field: column, value, rule: "isNumber", message: "must be a finite number" };
  }
  if (rules.min !== undefined && value < rules.min) return { field: column, value, rule: "min", message: `must not be less than ${rules.min}` };
  if (rules.max !== undefined && value > rules.max) return { field: column, value, rule: "max", message: `must not be greater than ${rules.max}` };
  return null;
}
