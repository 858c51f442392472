/**
 * The one strict reading of timestamps, for command-line flags, `record()`, import and query filters.
 *
 * Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z` or an offset `±HH:MM` (and, where the caller
 * allows it, a bare date `YYYY-MM-DD`, meaning midnight UTC). The date must exist in the proleptic Gregorian
 * calendar (no 2026-02-30, which `Date` rolls over to March 2), hours 00–23, minutes and seconds 00–59,
 * offsets up to ±23:59, at most 9 fraction digits (cut to milliseconds, as `Date` does). After the offset is
 * applied the instant must lie in years 0000–9999 UTC: only those have the fixed 24-character stored form
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` whose text order is time order (`toISOString` writes `+010000-…` beyond).
 */

/** 0000-01-01T00:00:00.000Z in epoch milliseconds: the first storable instant. */
export const FIRST_STORABLE_MILLIS = -62_167_219_200_000;
/** 9999-12-31T23:59:59.999Z in epoch milliseconds: the last storable instant. */
export const LAST_STORABLE_MILLIS = 253_402_300_799_999;

/** What every refusal says the value must be. */
export const ISO_INSTANT_RULE =
  "an ISO-8601 time with a zone (2026-11-27T08:00:00Z, 2026-11-27T09:00:00+01:00) naming a real calendar date, in years 0000-9999 UTC";

const FULL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Options of {@link parseIsoInstant}. */
export interface IsoInstantOptions {
  /** Also accept a bare date `YYYY-MM-DD` (midnight UTC). Default false. */
  allowDateOnly?: boolean;
}

/**
 * The epoch milliseconds `text` names, or null when it is not a strict ISO-8601 instant within years
 * 0000–9999 UTC (see the module comment).
 */
export function parseIsoInstant(text: string, options: IsoInstantOptions = {}): number | null {
  if (typeof text !== "string") return null;
  const full = FULL.exec(text);
  const dateOnly = full === null && options.allowDateOnly ? DATE_ONLY.exec(text) : null;
  const parts = full ?? dateOnly;
  if (parts === null) return null;
  const [year, month, day] = [1, 2, 3].map((i) => Number(parts[i]));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let offsetMinutes = 0;
  if (full !== null) {
    [hour, minute, second] = [4, 5, 6].map((i) => Number(full[i]));
    if (hour > 23 || minute > 59 || second > 59) return null;
    millis = full[7] === undefined ? 0 : Number(full[7].slice(0, 3).padEnd(3, "0"));
    if (full[8] === undefined) {
      const [offsetHours, offsetMins] = [10, 11].map((i) => Number(full[i]));
      if (offsetHours > 23 || offsetMins > 59) return null;
      offsetMinutes = (full[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
    }
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const epoch = date.getTime() - offsetMinutes * 60_000;
  return isStorableMillis(epoch) ? epoch : null;
}

/** True when `epochMillis` is a whole number of milliseconds within years 0000–9999 UTC. */
export function isStorableMillis(epochMillis: number): boolean {
  return Number.isInteger(epochMillis) && epochMillis >= FIRST_STORABLE_MILLIS && epochMillis <= LAST_STORABLE_MILLIS;
}

/** True when `date` is a valid Date within years 0000–9999 UTC. */
export function isStorableDate(date: Date): boolean {
  return isStorableMillis(date.getTime());
}

/**
 * A Date or a strict ISO-8601 string as the stored form `YYYY-MM-DDTHH:MM:SS.mmmZ`, or null when it is
 * neither (an invalid or out-of-range Date, a loose string, anything else).
 */
export function toStoredInstant(value: unknown, options: IsoInstantOptions = {}): string | null {
  if (value instanceof Date) return isStorableDate(value) ? value.toISOString() : null;
  if (typeof value !== "string") return null;
  const epoch = parseIsoInstant(value, options);
  return epoch === null ? null : new Date(epoch).toISOString();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
