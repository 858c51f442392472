/**
 * The time axis of the "over time" charts: one bucket per hour, day or month of started_at (UTC), chosen by the
 * length of the range so that a chart has between a handful and a few hundred bars.
 *
 * A bucket's key is a prefix of the stored ISO-8601 text (`2026-11-27T23` hourly, `2026-11-27` daily, `2026-11`
 * monthly), so SQL groups by `substr(started_at, 1, length)` and text order is time order.
 */

/** Bucket size of the time axis. */
export type TimeGranularity = "hour" | "day" | "month";

/** Ranges up to this long get hourly buckets (at most 73 of them). */
export const HOURLY_MAX_SPAN_MILLIS = 3 * 24 * 60 * 60 * 1000;

/** Longer ranges up to this long get daily buckets (at most 181); longer ones monthly. */
export const DAILY_MAX_SPAN_MILLIS = 180 * 24 * 60 * 60 * 1000;

/** Length of the ISO-text prefix that is a bucket's key. */
export const KEY_LENGTH: Readonly<Record<TimeGranularity, number>> = { hour: 13, day: 10, month: 7 };

/** The granularity for a range from `first` to `last` (inclusive instants). */
export function chooseGranularity(first: Date, last: Date): TimeGranularity {
  const span = last.getTime() - first.getTime();
  if (span <= HOURLY_MAX_SPAN_MILLIS) return "hour";
  if (span <= DAILY_MAX_SPAN_MILLIS) return "day";
  return "month";
}

/** The SQL expression of the bucket key of an ISO text column. Portable: SQLite and PostgreSQL share substr. */
export function timeBucketSql(column: string, granularity: TimeGranularity): string {
  return `substr(${column}, 1, ${KEY_LENGTH[granularity]})`;
}

/** Every bucket key from the one holding `first` to the one holding `last`, in order. */
export function timeBucketKeys(first: Date, last: Date, granularity: TimeGranularity): string[] {
  const keys: string[] = [];
  const cursor = new Date(first.getTime());
  // Start at the bucket's beginning so that stepping never skips a bucket (months have unequal lengths).
  if (granularity === "month") cursor.setUTCDate(1);
  if (granularity !== "hour") cursor.setUTCHours(0);
  cursor.setUTCMinutes(0, 0, 0);
  const lastKey = keyOf(last, granularity);
  for (let key = keyOf(cursor, granularity); key <= lastKey; key = keyOf(cursor, granularity)) {
    keys.push(key);
    if (granularity === "hour") cursor.setUTCHours(cursor.getUTCHours() + 1);
    else if (granularity === "day") cursor.setUTCDate(cursor.getUTCDate() + 1);
    else cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return keys;
}

/** A key as people read it: `2026-11-27 23:00`, `2026-11-27`, `2026-11`. */
export function timeBucketLabel(key: string, granularity: TimeGranularity): string {
  return granularity === "hour" ? `${key.slice(0, 10)} ${key.slice(11, 13)}:00` : key;
}

function keyOf(date: Date, granularity: TimeGranularity): string {
  return date.toISOString().slice(0, KEY_LENGTH[granularity]);
}
