import type { ValidationIssue } from "../errors";
import { isStorableText, LIMITS } from "../model/limits";

/**
 * The rules a value recorded on an execution must follow, one function per kind of value. Each returns the
 * first rule the value breaks, as a {@link ValidationIssue} naming the field, or null when the value is
 * good; what happens to a broken value (collected by end(), reported by a recording method) is the
 * caller's decision.
 */

const MAX_COUNT = LIMITS.maxCount;

function broken(field: string, value: unknown, rule: string, message: string): ValidationIssue {
  return { field, value, rule, message };
}

/** An integer in [0, 2^31 − 1]. */
export function countIssue(field: string, value: unknown): ValidationIssue | null {
  if (typeof value !== "number" || !Number.isInteger(value)) return broken(field, value, "isInt", "must be an integer");
  if (value < 0) return broken(field, value, "min", "must not be less than 0");
  if (value > MAX_COUNT) return broken(field, value, "max", `must not be greater than ${MAX_COUNT}`);
  return null;
}

/** `current + added` (both valid counts) stays within the column's cap. */
export function countSumIssue(field: string, current: number, added: number): ValidationIssue | null {
  if (current + added <= MAX_COUNT) return null;
  return broken(field, added, "max", `the sum ${current} + ${added} would exceed ${MAX_COUNT}; the call was ignored`);
}

/** `current + added` (both valid amounts) is still a finite number. */
export function amountSumIssue(field: string, current: number, added: number): ValidationIssue | null {
  if (Number.isFinite(current + added)) return null;
  return broken(field, added, "isFinite", `the sum ${current} + ${added} would not be a finite number; the call was ignored`);
}

/** A finite number. */
export function finiteIssue(field: string, value: unknown): ValidationIssue | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return broken(field, value, "isNumber", "must be a finite number");
  return null;
}

/** A finite number ≥ 0 (an amount of money). */
export function amountIssue(field: string, value: unknown): ValidationIssue | null {
  const notFinite = finiteIssue(field, value);
  if (notFinite !== null) return notFinite;
  if ((value as number) < 0) return broken(field, value, "min", "must not be less than 0");
  return null;
}

/** A finite number in [min, max]. */
export function rangeIssue(field: string, value: unknown, min: number, max: number): ValidationIssue | null {
  const notFinite = finiteIssue(field, value);
  if (notFinite !== null) return notFinite;
  if ((value as number) < min) return broken(field, value, "min", `must not be less than ${min}`);
  if ((value as number) > max) return broken(field, value, "max", `must not be greater than ${max}`);
  return null;
}

/** A string (free text: any length, it is cut at its cap when stored). */
export function textIssue(field: string, value: unknown): ValidationIssue | null {
  if (typeof value !== "string") return broken(field, value, "isString", "must be a string");
  return null;
}

/** A name (model, tag, category): a string of 1 to `maxLength` characters that every backend stores exactly. */
export function identifierIssue(field: string, value: unknown, maxLength: number): ValidationIssue | null {
  if (typeof value !== "string") return broken(field, value, "isString", "must be a string");
  if (value.length === 0) return broken(field, value, "minLength", "must not be empty");
  if (value.length > maxLength) return broken(field, value, "maxLength", `must be at most ${maxLength} characters`);
  if (!isStorableText(value)) {
    return broken(field, value, "storableText", "must not contain NUL characters or lone UTF-16 surrogates");
  }
  return null;
}
