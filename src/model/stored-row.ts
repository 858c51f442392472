import { type ColumnKind, EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "./execution-metric-columns";
import { isStorableText } from "./limits";

/**
 * The check a stored row passes: what every spill-file line replayed is checked with. TypeORM-free (the
 * recorder uses it); the full validation of plain records, which may complete or normalize them, is
 * validateMetricRecord (src/validation/validate-record.ts).
 */

/** One column's rules, flattened for {@link isStoredRow}: every entry has the same fields (one hidden class). */
interface StoredColumnCheck {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  readonly min: number;
  readonly max: number;
  readonly minLength: number;
  readonly maxLength: number;
  /** maxLength counts UTF-16 code units (text the SDK cuts), not class-validator's characters. */
  readonly cut: boolean;
  readonly pattern: RegExp | null;
  readonly oneOf: readonly string[] | null;
  readonly maxItems: number;
}

const STORED_COLUMN_CHECKS: readonly StoredColumnCheck[] = EXECUTION_METRIC_COLUMNS.map(({ name, kind, rules }) => ({
  name,
  kind,
  nullable: rules.nullable,
  min: rules.min ?? Number.NEGATIVE_INFINITY,
  max: rules.max ?? Number.POSITIVE_INFINITY,
  minLength: rules.minLength ?? 0,
  maxLength: rules.maxLength ?? Number.POSITIVE_INFINITY,
  cut: rules.cut === true,
  pattern: rules.pattern ?? null,
  oneOf: rules.oneOf ?? null,
  maxItems: rules.maxItems ?? Number.POSITIVE_INFINITY,
}));

const STORED_COLUMN_CHECK_BY_NAME = new Map(STORED_COLUMN_CHECKS.map((check) => [check.name, check]));

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * True when `value` is a complete stored row exactly as validateMetricRecord would return it: every
 * column present in its stored form and nothing else, every value within the entity's rules (the rule table
 * of execution-metric-columns.ts: UUIDs, metric_version's form, lengths, ranges, statuses, whole counts up to
 * 2^31 − 1, finite reals, real calendar instants in the 24-character form `toISOString` gives, storable
 * text), and a consistent lifecycle (completed_at and total_duration_ms when finished; completed_at not before started_at).
 *
 * It is what replaying a spill file runs on every line: the same rules as the class-validator pass at a
 * small part of its cost (a table of per-column rules walked in one loop, no allocation). A row it refuses
 * is not necessarily invalid: one that validateMetricRecord would complete or normalize (a missing column
 * with a default, text over its cap, a timestamp with an offset) is refused here and goes to
 * validateMetricRecord, which decides.
 */
export function isStoredRow(value: unknown): value is ExecutionMetricRow {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const row = value as Record<string, unknown>;
  // Walked with for-in: V8 reads `row[key]` through the enumeration cache there, several times faster than
  // reading each column by a computed name. Keys normally come in column order; any other order is looked up.
  let seen = 0;
  for (const key in row) {
    if (!hasOwn.call(row, key)) continue;
    let check: StoredColumnCheck | undefined = STORED_COLUMN_CHECKS[seen];
    if (check === undefined || check.name !== key) {
      check = STORED_COLUMN_CHECK_BY_NAME.get(key);
      if (check === undefined) return false; // not a column
    }
    seen++;
    const cell = row[key];
    if (cell === null) {
      if (!check.nullable) return false;
      continue;
    }
    switch (check.kind) {
      case "text":
        if (typeof cell !== "string" || !textObeys(cell, check)) return false;
        break;
      case "timestamp":
        if (typeof cell !== "string" || !isStoredTimestamp(cell)) return false;
        break;
      // -0 is refused here so that the full validation normalises it to 0 (the databases cannot keep the sign).
      case "integer":
        if (typeof cell !== "number" || !Number.isInteger(cell) || cell < check.min || cell > check.max || Object.is(cell, -0)) return false;
        break;
      case "real":
        if (typeof cell !== "number" || !Number.isFinite(cell) || cell < check.min || cell > check.max || Object.is(cell, -0)) return false;
        break;
      case "boolean":
        if (typeof cell !== "boolean") return false;
        break;
      case "json-array":
        if (!Array.isArray(cell) || cell.length > check.maxItems) return false;
        for (let j = 0; j < cell.length; j++) {
          const item: unknown = cell[j];
          if (typeof item !== "string" || !textObeys(item, check)) return false;
        }
        break;
      default:
        return false;
    }
  }
  // Own keys are distinct and each is a column: as many as there are columns means every column is there.
  if (seen !== STORED_COLUMN_CHECKS.length) return false;
  // The lifecycle rules (lifecycleIssues of validate-record.ts). Both timestamps are in the fixed 24-character form with a 4-digit
  // year, so text order is time order.
  const completedAt = row.completed_at as string | null;
  if (row.status !== "running" && (completedAt === null || row.total_duration_ms === null)) return false;
  if (row.status === "running" && row.latency_acceptable !== null) return false;
  return completedAt === null || completedAt >= (row.started_at as string);
}

/**
 * The former name of {@link isStoredRow}, from when it only checked types.
 * @deprecated use isStoredRow.
 */
export const hasStoredRowShape: (value: unknown) => value is ExecutionMetricRow = isStoredRow;

/**
 * Whether a string value (a text cell or an array item) obeys its column's rules. Lengths are UTF-16 code
 * units, the unit of every limit (the entity's MaxLength/MinLength count the same, see code-unit-length.ts).
 */
function textObeys(text: string, check: StoredColumnCheck): boolean {
  if (check.oneOf !== null) return check.oneOf.includes(text);
  if (check.pattern !== null && !check.pattern.test(text)) return false;
  if (text.length > check.maxLength || text.length < check.minLength) return false;
  return !UNSTORABLE_CODE_UNIT.test(text) || isStorableText(text);
}

/** A code unit that may make text unstorable (NUL, a surrogate): only then is the exact check needed. */
const UNSTORABLE_CODE_UNIT = /[\u0000\uD800-\uDFFF]/;

/** Days of each month (February of a common year). */
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a timestamp in its stored form, `YYYY-MM-DDTHH:MM:SS.mmmZ`, naming a real calendar instant: what
 * `new Date(text).toISOString()` gives back unchanged and isRealIsoTimestamp accepts. Read digit by digit.
 */
function isStoredTimestamp(text: string): boolean {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 0x2d || // -
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 || // T
    text.charCodeAt(13) !== 0x3a || // :
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e || // .
    text.charCodeAt(23) !== 0x5a // Z
  ) {
    return false;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || hour < 0 || minute < 0 || second < 0 || digitsAt(text, 20, 3) < 0) return false;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  // Proleptic Gregorian leap years, year 0 included: the calendar of parseIsoInstant (model/iso-instant.ts).
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]);
}

/** The decimal number of `count` ASCII digits at `at`, or −1 if one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
