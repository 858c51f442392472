import fc from "fast-check";
import { EXECUTION_METRIC_COLUMN_NAMES } from "../../../src/model/execution-metric-columns";
import { LIMITS } from "../../../src/model/limits";

/**
 * fast-check arbitraries for the hostile-input suite: malformed records (each malformation names the field
 * that must be reported) and valid-but-hostile text. Every suite using them runs with a fixed seed.
 */

/** The seed of every property in the reliability suite: a failure replays exactly. */
export const FUZZ_SEED = 20261128;

/** A complete, valid, finished record; malformations are applied on top of it. */
export const BASE_RECORD: Readonly<Record<string, unknown>> = Object.freeze({
  execution_id: "0192f3a0-7b1c-7d4e-8f00-000000000001",
  skill_id: "fuzz_skill",
  started_at: "2026-11-27T10:00:00.000Z",
  completed_at: "2026-11-27T10:00:00.250Z",
  total_duration_ms: 250,
  status: "success",
  tags: [],
  warnings: [],
});

/** One broken field: `value` undefined means the key is removed. */
export interface Malformation {
  readonly field: string;
  readonly value: unknown;
  /** The value JSON.stringify/parse gives back unchanged (NaN, Infinity, -0, undefined do not survive). */
  readonly jsonSafe: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const COUNT_FIELDS = ["input_size_bytes", "output_size_bytes", "api_calls_count", "tokens_in", "tokens_out", "warning_count"];
const BOOLEAN_FIELDS = ["error_occurred", "validation_passed", "user_feedback_received"];
const OPTIONAL_TEXT_FIELDS = ["input_summary", "output_summary", "error_message", "error_trace", "notes"];

/** Nested junk: objects and arrays of anything, never a string. */
const junk = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 5 }), fc.anything({ maxDepth: 2 }), { minKeys: 0, maxKeys: 3 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  fc.constant({ nested: { deeper: [1, { x: [null] }] } }),
);
const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), junk);
const notANumber = fc.oneof(fc.string({ maxLength: 6 }), fc.boolean(), junk, fc.constant("5"));
const nonFinite = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
const nonInteger = fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x));
const tooLong = (max: number) => fc.string({ minLength: max + 1, maxLength: max + 40 });
const badUuid = fc.oneof(
  fc.string({ maxLength: 40 }).filter((s) => !UUID.test(s)),
  fc.uuid().map((u) => u.slice(0, 35) + "g"),
  fc.uuid().map((u) => u.replace(/-/g, "")),
  fc.uuid().map((u) => ` ${u}`),
);
const badTimestamp = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !ISO.test(s)),
  fc.constantFrom(
    "yesterday",
    "2026-11-27",
    "2026-11-27 10:00:00",
    "2026-11-27T10:00:00",
    "2026-11-27T25:00:00.000Z",
    "2026-11-27T10:00:60.000Z",
    "+012026-11-27T10:00:00.000Z",
  ),
  fc.integer(),
  junk,
);

const m = (field: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<Malformation> =>
  value.map((v) => ({ field, value: v, jsonSafe: isJsonSafe(v) }));

/** Malformations that may be combined: each is reported on its own field whatever else is broken. */
export const fieldMalformation: fc.Arbitrary<Malformation> = fc.oneof(
  m("execution_id", fc.oneof(badUuid, fc.integer(), junk)),
  m("metric_version", fc.oneof(fc.string({ maxLength: 6 }).filter((s) => !/^\d+\.\d+$/.test(s)), fc.integer())),
  m("skill_id", fc.oneof(fc.constant(""), tooLong(LIMITS.identifierLength), notAString, fc.constant(null))),
  m("job_id", fc.oneof(tooLong(LIMITS.identifierLength), notAString)),
  m("agent_id", fc.oneof(tooLong(LIMITS.identifierLength), notAString)),
  m("model_name", fc.oneof(tooLong(LIMITS.identifierLength), notAString)),
  m("environment", fc.oneof(tooLong(LIMITS.environmentLength), notAString)),
  m("error_category", fc.oneof(tooLong(LIMITS.errorCategoryLength), notAString)),
  m("input_hash", fc.oneof(tooLong(LIMITS.inputHashLength), notAString)),
  m("parent_execution_id", fc.oneof(badUuid, fc.integer(), junk)),
  m("started_at", badTimestamp),
  m("completed_at", badTimestamp),
  m("status", fc.oneof(fc.constantFrom("done", "SUCCESS", "", "ok", "failed"), notAString, fc.constant(null))),
  m("total_duration_ms", fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), nonFinite, notANumber)),
  fc.constantFrom(...COUNT_FIELDS).chain((field) =>
    m(field, fc.oneof(fc.integer({ max: -1 }), nonInteger, nonFinite, fc.constantFrom(2 ** 53, 1e300), notANumber)),
  ),
  m("api_calls_cost_usd", fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), nonFinite, notANumber)),
  m("cpu_usage_percent", fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), nonFinite, notANumber)),
  m("memory_used_mb", fc.oneof(nonFinite, notANumber)),
  m("input_complexity", fc.oneof(nonFinite, notANumber)),
  fc.constantFrom("output_quality", "correctness_score").chain((field) =>
    m(field, fc.oneof(fc.double({ min: 1, minExcluded: true, noNaN: true }), fc.double({ max: 0, maxExcluded: true, noNaN: true }), nonFinite, notANumber)),
  ),
  m("temperature", fc.oneof(fc.double({ min: 10, minExcluded: true, noNaN: true }), fc.double({ max: 0, maxExcluded: true, noNaN: true }), nonFinite, notANumber)),
  m("user_satisfaction", fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 6 }), nonInteger, nonFinite, notANumber)),
  fc.constantFrom(...BOOLEAN_FIELDS).chain((field) => m(field, fc.oneof(fc.constantFrom("true", "false", 1, 0, "yes", null), junk))),
  fc.constantFrom(...OPTIONAL_TEXT_FIELDS).chain((field) => m(field, notAString)),
  m(
    "tags",
    fc.oneof(
      fc.constantFrom("batch", "", 7, null, { tag: "x" }),
      fc.array(notAString, { minLength: 1, maxLength: 3 }),
      fc.constant([""]),
      fc.constant(["ok", ["nested"]]),
      tooLong(LIMITS.tagLength).map((t) => [t]),
      fc.constant(Array.from({ length: LIMITS.tagCount + 1 }, (_v, i) => `t${i}`)),
    ),
  ),
  m("warnings", fc.oneof(fc.constantFrom("w", 3, null, { w: 1 }), fc.array(notAString, { minLength: 1, maxLength: 3 }))),
);

const unknownKey = fc
  .oneof(
    fc.constantFrom("__proto__", "constructor", "toString", "skillId", " skill_id", "SKILL_ID", "execution_id ", "id", "tags[]", "'; DROP TABLE x; --"),
    fc.string({ minLength: 1, maxLength: 12 }),
  )
  .filter((key) => !EXECUTION_METRIC_COLUMN_NAMES.includes(key));

/** Malformations reported alone: an unknown key stops validation; a lifecycle rule is checked last. */
export const soloMalformation: fc.Arbitrary<Malformation> = fc.oneof(
  fc
    .tuple(unknownKey, fc.anything({ maxDepth: 2 }).filter((v) => v !== undefined))
    .map(([field, value]) => ({ field, value, jsonSafe: isJsonSafe(value) })),
  m("completed_at", fc.constantFrom("2026-11-27T09:59:59.999Z", "2000-01-01T00:00:00.000Z", null)),
  m("total_duration_ms", fc.constant(null)),
);

/** Only for import (record() gives a record without an id a new one): the id missing or null. */
export const missingId: fc.Arbitrary<Malformation> = m("execution_id", fc.constantFrom(undefined, null));

/** 1–3 field malformations on distinct fields, or one solo malformation. */
export const malformations: fc.Arbitrary<Malformation[]> = fc.oneof(
  { weight: 4, arbitrary: fc.uniqueArray(fieldMalformation, { minLength: 1, maxLength: 3, selector: (x) => x.field }) },
  { weight: 1, arbitrary: soloMalformation.map((x) => [x]) },
);

/** BASE_RECORD with the malformations applied (keys defined as own data properties, `__proto__` included). */
export function applyMalformations(list: readonly Malformation[]): Record<string, unknown> {
  const record: Record<string, unknown> = { ...BASE_RECORD };
  for (const { field, value } of list) {
    if (value === undefined) delete record[field];
    else Object.defineProperty(record, field, { value, enumerable: true, configurable: true, writable: true });
  }
  return record;
}

function isJsonSafe(value: unknown): boolean {
  if (value === undefined) return true; // a removed key is removed in JSON too
  try {
    const text = JSON.stringify(value);
    return text !== undefined && JSON.stringify(JSON.parse(text)) === text && !hasNonJsonNumber(value);
  } catch {
    return false;
  }
}

function hasNonJsonNumber(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value) || Object.is(value, -0);
  if (Array.isArray(value)) return value.some(hasNonJsonNumber);
  if (value !== null && typeof value === "object") {
    // undefined members vanish and toJSON changes things: only plain data counts as JSON-safe.
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return true;
    return Object.values(value).some((v) => v === undefined || typeof v === "function" || hasNonJsonNumber(v));
  }
  return typeof value === "bigint" || typeof value === "symbol" || typeof value === "function";
}

/** Pieces of text that break naive SQL, CSV, JSON, spreadsheets, terminals or Unicode handling. */
export const HOSTILE_PIECES: readonly string[] = [
  "'", '"', ";", "'); DROP TABLE execution_metrics; --", '" OR 1=1 --', "\\", "\\u0000", "\n", "\r\n", "\r", "\t",
  "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", ",", "[", "]", "},{", '{"a":1}', "null", "🎉", "👩‍👩‍👧", "\u202E", "مرحبا",
  "e\u0301", "日本語", "\u2028", "\uFEFF", "%s", "${x}", "<script>alert(1)</script>", "\u0007", "x".repeat(300),
];

/** Well-formed hostile text of 0 to about 4 KB (no lone surrogates, no NUL: both have their own tests). */
export const hostileText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 14 })
  .map((parts) => parts.join(""))
  .filter((s) => isWellFormedText(s) && !s.includes("\u0000"));

/** Hostile text cut (or padded) to `min`–`max` characters, for fields with a length rule. */
export const hostileIdentifier = (max: number): fc.Arbitrary<string> =>
  hostileText.map((s) => (s.length === 0 ? "s" : s)).map((s) => cutWellFormed(s, max));

/** True when `s` has no lone surrogate (what UTF-8 can hold). */
export function isWellFormedText(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutWellFormed(s: string, max: number): string {
  let cut = s.slice(0, max);
  if (!isWellFormedText(cut)) cut = cut.slice(0, -1);
  return cut.length === 0 ? "s" : cut;
}

/** One CSV cell's text (before quoting) that must be refused in `field` after import decodes it. */
export interface CsvMalformation {
  readonly field: string;
  readonly cell: string;
}

const csvCell = (fields: readonly string[], cells: fc.Arbitrary<string>): fc.Arbitrary<CsvMalformation> =>
  fc.tuple(fc.constantFrom(...fields), cells).map(([field, cell]) => ({ field, cell }));
const notNumeric = fc.oneof(
  fc.constantFrom("abc", "NaN", "Infinity", "-Infinity", "0x10", " 5", "5 ", "1,5", "--1", "1e999", "-1e999", "1.2.3", "true"),
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)),
);

/** CSV cells that decode to a refused value (CSV has no types: `42` in skill_id is a valid string). */
export const csvMalformation: fc.Arbitrary<CsvMalformation> = fc.oneof(
  csvCell(["execution_id"], fc.oneof(badUuid.filter((s) => s.length > 0 && !s.startsWith("'")), fc.constant("'not-a-uuid"))),
  csvCell(["parent_execution_id"], badUuid.filter((s) => s.length > 0 && !/^'?[0-9a-f-]{36}$/i.test(s))),
  csvCell(["skill_id"], fc.oneof(fc.constant(""), tooLong(LIMITS.identifierLength).filter((s) => !s.startsWith("'")))),
  csvCell(["job_id", "agent_id", "model_name"], tooLong(LIMITS.identifierLength).filter((s) => !s.startsWith("'"))),
  csvCell(["environment", "error_category"], tooLong(LIMITS.environmentLength).filter((s) => !s.startsWith("'"))),
  csvCell(["metric_version"], fc.constantFrom("x1", "1", "1.0.0", "", "v1.0")),
  csvCell(["started_at", "completed_at"], badTimestamp.filter((v): v is string => typeof v === "string" && v.length > 0)),
  csvCell(["status"], fc.constantFrom("done", "SUCCESS", "", "ok")),
  csvCell([...COUNT_FIELDS, "user_satisfaction"], fc.oneof(notNumeric, fc.constantFrom("-1", "1.5", "9007199254740993"))),
  csvCell(["user_satisfaction"], fc.constantFrom("0", "6", "2.5")),
  csvCell(["total_duration_ms", "api_calls_cost_usd", "cpu_usage_percent"], fc.oneof(notNumeric, fc.constantFrom("-1", "-0.001", "-1e-300"))),
  csvCell(["memory_used_mb", "input_complexity"], notNumeric),
  csvCell(["output_quality", "correctness_score"], fc.oneof(notNumeric, fc.constantFrom("1.0000001", "-0.5", "2"))),
  csvCell(["temperature"], fc.oneof(notNumeric, fc.constantFrom("10.5", "-1"))),
  csvCell(BOOLEAN_FIELDS, fc.constantFrom("yes", "1", "0", "TRUE", "False", "", "null")),
  csvCell(
    ["tags"],
    fc.constantFrom("[", "{}", "[1,2]", '"x"', '[["a"]]', '[""]', "batch", "", "null", JSON.stringify(Array.from({ length: 101 }, (_v, i) => `t${i}`))),
  ),
  csvCell(["warnings"], fc.constantFrom("[", "{}", "[1]", '"w"', "", "null", "[null]")),
);
