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

/** A string (free text: any length, it is cut at its cap when stored). */
export function textIssue(field: string, value: unknown): ValidationIssue | null {
  if (typeof value !== "string") return broken(field, value, "isString", "must be a string");
  return null;
}

/** A name (model, tag, category): a string of 1 to `maxLength` characters that every backend stores exactly. */
export function identifierIssue(field: string, value: unknown, maxLength: number): ValidationIssue | null {
  if (typeof value !== "string") return broken(field, value, "isString", "must be a string");
  if (value.length === 0) return broken(field, value, "minLength", "must not be empty");
  if (value.length > maxLength) return broken(field, value, "maxLength", `must be at most ${maxLength} UTF-16 code units`);
  if (!isStorableText(value)) {
    return broken(field, value, "storableText", "must not contain NUL characters or lone UTF-16 surrogates");
  }
  return null;
}
