/**
 * Formats epoch milliseconds as the stored timestamp form, `2026-11-27T23:37:23.123Z` (what
 * `Date#toISOString` gives for years 0–9999).
 *
 * Why not toISOString on every call: it costs ~0.4 µs and tracking needs two per execution. The text up to
 * the seconds changes once a second, so it is cached, and the 1,000 endings `000Z` … `999Z` are made once:
 * a timestamp is then one concatenation of two flat strings (`prefix + digits + "Z"` made a rope of four
 * string objects and a number's text per call, which V8 flattens again when the batch encoder joins them).
 */

const MILLIS_ENDINGS: readonly string[] = Array.from({ length: 1000 }, (_unused, ms) => `${String(ms).padStart(3, "0")}Z`);
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** Formats `epochMillis` (fractions are dropped, as Date does) as ISO-8601 UTC with milliseconds. */
export function isoTimestamp(epochMillis: number): string {
  const millis = Math.floor(epochMillis);
  const second = Math.floor(millis / 1000);
  if (second !== cachedSecond) {
    // "2026-11-27T23:37:23." — the 20 characters before the milliseconds.
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  return cachedPrefix + MILLIS_ENDINGS[millis - second * 1000];
}
