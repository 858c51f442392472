/**
 * The shortest exact text of the reals in an export page rendered by SQLite (sql-encoding.ts).
 *
 * SQLite cannot print a double in its shortest round-trip form: its printf rounds ties the other way and its
 * 15- and 16-digit renderings are sometimes not the value (it reads `0.0001734` back as 1.73399999999999986e-4,
 * a correct parser does not). Its 18-digit rendering is always exact, so SQL writes each real as that, behind one
 * 0xFF byte, and this module replaces each with JavaScript's `String(Number(text))`: the shortest text that reads
 * back as the same double (ties to even, as ECMAScript's Number::toString specifies), e.g. `0.94` instead of
 * `0.939999999999999947`, `5` instead of `5.0`, `1e-7` instead of `9.99999999999999955e-08`. The byte 0xFF
 * never occurs in UTF-8 text, so no stored text can be mistaken for a marker; the page comes across as a BLOB
 * so that the byte survives the driver.
 */

/** The byte SQL writes before each real: never part of valid UTF-8. */
export const REAL_MARKER_BYTE = 0xff;

/** Bytes a printf rendering of a real consists of: digits, sign, point, exponent (and SQLite's `Inf`). */
const REAL_TEXT_BYTE = new Uint8Array(256);
for (const c of "0123456789+-.eEInf") REAL_TEXT_BYTE[c.charCodeAt(0)] = 1;

/**
 * Decodes a SQL-rendered page (UTF-8 bytes) into text, each marked real in its shortest exact form. (Moving the
 * bytes down in place and decoding once measured slower than decoding the pieces between reals and joining
 * them: V8 builds the joined string as a rope.)
 */
export function expandMarkedReals(page: Buffer): string {
  let text = "";
  let from = 0;
  for (let at = page.indexOf(REAL_MARKER_BYTE); at !== -1; at = page.indexOf(REAL_MARKER_BYTE, from)) {
    let end = at + 1;
    while (end < page.length && REAL_TEXT_BYTE[page[end]] === 1) end++;
    const exact = page.toString("latin1", at + 1, end);
    const value = Number(exact);
    // Infinity cannot be stored by the SDK; should a raw write have put one there, it stays as SQLite wrote it.
    text += page.toString("utf8", from, at) + (Number.isFinite(value) ? String(value) : exact);
    from = end;
  }
  return text + page.toString("utf8", from);
}
