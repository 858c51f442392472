import type { ValueTransformer } from "typeorm";
import { parseIsoInstant } from "../../model/iso-instant";

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
 * True when `text` is a strict ISO-8601 instant (parseIsoInstant of model/iso-instant.ts, the one reading of
 * timestamps): a real calendar date, hour < 24, minute and second < 60, offset within ±23:59, and in years
 * 0000–9999 once the offset is applied. `Date` would roll 2026-02-30 over to March 2 without a word.
 */
export function isRealIsoTimestamp(text: string): boolean {
  return parseIsoInstant(text) !== null;
}
