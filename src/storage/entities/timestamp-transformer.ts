import type { ValueTransformer } from "typeorm";

/**
 * Stores a Date as ISO-8601 UTC text with milliseconds (`2026-11-27T23:37:23.123Z`). Fixed width, so text
 * order is time order and range predicates on the text are exact; and it is already the export format.
 */
export const isoTimestampTransformer: ValueTransformer = {
  to: (value: Date | string | null | undefined) => {
    if (value === null || value === undefined) return value;
    return value instanceof Date ? value.toISOString() : value;
  },
  from: (value: string | null) => (value === null ? null : new Date(value)),
};

/** Matches the ISO-8601 forms accepted on input: date, time, optional fraction, and Z or an offset. */
export const ISO_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * True when `text` matches {@link ISO_TIMESTAMP_PATTERN} and names a real instant: month 1–12, a day that
 * exists in that month, hour < 24, minute and second < 60, offset within ±23:59. `Date` would roll
 * 2026-02-30 over to March 2 without a word.
 */
export function isRealIsoTimestamp(text: string): boolean {
  if (!ISO_TIMESTAMP_PATTERN.test(text)) return false;
  const [year, month, day, hour, minute, second] = [0, 5, 8, 11, 14, 17].map((at, i) =>
    Number(text.slice(at, at + (i === 0 ? 4 : 2))),
  );
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  return offset === null || (Number(offset[2]) <= 23 && Number(offset[3]) <= 59);
}
