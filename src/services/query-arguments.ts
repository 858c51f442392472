import type { ValidationIssue } from "../errors";
import { ISO_INSTANT_RULE, toStoredInstant } from "../model/iso-instant";

/*
 * The checks shared by the arguments of MetricsQueryService's methods: each records a ValidationIssue naming
 * the field, so a method can report every bad argument at once.
 */

/** Records an issue unless `value` is a non-empty string; returns whether it is one. */
export function requireString(value: unknown, field: string, issues: ValidationIssue[]): boolean {
  if (typeof value === "string" && value.length > 0) return true;
  issues.push({ field, value, rule: "isString", message: "must be a non-empty string" });
  return false;
}

/** A Date or ISO-8601 string as the stored form (UTC, milliseconds), or undefined with an issue recorded. */
export function toIso(value: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  // The one strict reading (model/iso-instant.ts): a Date past year 9999 UTC is refused too.
  const stored = toStoredInstant(value);
  if (stored === null) {
    issues.push({ field, value, rule: "isDate", message: `must be a Date or ${ISO_INSTANT_RULE}` });
    return undefined;
  }
  return stored;
}
