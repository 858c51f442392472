import type { DataSource } from "typeorm";
import { MetricValidationError, NotFoundError, type ValidationIssue } from "../errors";
import { isStorableText, LIMITS, truncateText } from "../model/limits";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";

/*
 * The checks shared by the annotation services (anomalies, review flags, corrective actions, learning links):
 * each records a ValidationIssue naming the field and the rule, so a call reports every bad argument at once
 * and writes nothing.
 */

/** Page sizes of the annotation queries: 100 rows unless told, at most 10,000 (as getMetrics). */
export const ANNOTATION_PAGE = { defaultLimit: 100, maxLimit: 10_000 } as const;

/** Records an issue unless `value` is a plain object (not null, not an array); returns whether it is one. */
export function requireObject(value: unknown, field: string, issues: ValidationIssue[]): value is Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return true;
  issues.push({ field, value, rule: "isObject", message: "must be an object" });
  return false;
}

/**
 * A required text of 1 to `max` UTF-16 code units, storable on every database (no NUL, no lone surrogate);
 * undefined with an issue recorded otherwise.
 */
export function requireText(value: unknown, field: string, max: number, issues: ValidationIssue[]): string | undefined {
  if (typeof value !== "string" || value.length === 0) {
    issues.push({ field, value, rule: "isString", message: "must be a non-empty string" });
    return undefined;
  }
  if (value.length > max) {
    issues.push({ field, value, rule: "maxLength", message: `must be at most ${max} UTF-16 code units long` });
    return undefined;
  }
  if (!isStorableText(value)) {
    issues.push({ field, value, rule: "storableText", message: "must contain no NUL character and no lone surrogate" });
    return undefined;
  }
  return value;
}

/** Like {@link requireText}, for an optional field: undefined and null give null. */
export function optionalText(value: unknown, field: string, max: number, issues: ValidationIssue[]): string | null {
  if (value === undefined || value === null) return null;
  return requireText(value, field, max, issues) ?? null;
}

/**
 * Free-text notes: null when absent, else cut at LIMITS.textCap characters like every note (feedback notes
 * too), never refused for their length.
 */
export function noteText(value: unknown, field: string, issues: ValidationIssue[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    issues.push({ field, value, rule: "isString", message: "must be a string" });
    return null;
  }
  return truncateText(value, LIMITS.textCap);
}

/** The page size of a query, checked against {@link ANNOTATION_PAGE}. */
export function pageLimit(value: unknown, issues: ValidationIssue[]): number {
  const limit = value ?? ANNOTATION_PAGE.defaultLimit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > ANNOTATION_PAGE.maxLimit) {
    issues.push({ field: "limit", value, rule: "range", message: `must be a whole number in [1, ${ANNOTATION_PAGE.maxLimit}]` });
    return ANNOTATION_PAGE.defaultLimit;
  }
  return limit;
}

/** Throws every recorded issue as one MetricValidationError about `context`; returns when there is none. */
export function throwIssues(issues: readonly ValidationIssue[], context: string): void {
  if (issues.length > 0) throw new MetricValidationError(issues, context);
}

/** What an annotation copies of its execution. */
export interface AnnotatedExecution {
  readonly skillId: string;
  readonly startedAt: Date;
}

/**
 * The stored execution `executionId` names (its skill_id and started_at, one primary-key lookup).
 * @throws NotFoundError when none is stored. A row just recorded may still be in the recorder's queue: the
 *   collector flushes before every annotation call, a service used on its own does not.
 */
export async function findExecution(dataSource: DataSource, executionId: string): Promise<AnnotatedExecution> {
  const row = await dataSource
    .getRepository(ExecutionMetric)
    .findOne({ where: { executionId }, select: { executionId: true, skillId: true, startedAt: true } });
  if (row === null) throw NotFoundError.execution(executionId);
  return { skillId: row.skillId, startedAt: row.startedAt };
}
