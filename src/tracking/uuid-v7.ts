import { randomFillSync } from "node:crypto";

/**
 * UUIDv7 generation for execution ids (RFC 9562: 48-bit Unix milliseconds, version 7, a 12-bit counter in
 * rand_a, variant 10, 62 random bits).
 *
 * Why not the `uuid` package's v7() here: it allocates two Uint8Arrays per id and costs ~0.6 µs per call on
 * this kind of machine, a quarter of the whole per-call budget of tracking. This version draws from one
 * 8 KiB random pool and formats with a lookup table into one flat string (~0.15 µs). Ids stay strictly increasing within one
 * process (a counter in rand_a; when it overflows inside one millisecond the timestamp borrows from the next
 * millisecond, as RFC 9562 §6.2 method 1 allows), so inserts append to the primary-key index.
 */

/** The two lower-case hex digits of each byte value, as character codes: digit i of byte b at 2b + i. */
const HEX_CODES = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  const hex = (byte + 0x100).toString(16).slice(1);
  HEX_CODES[2 * byte] = hex.charCodeAt(0);
  HEX_CODES[2 * byte + 1] = hex.charCodeAt(1);
}
const DASH = 0x2d;
/**
 * The 36 character codes of the id being formatted, turned into one string by String.fromCharCode. Why not
 * `hex + hex + "-" + …`: that makes a rope of ~20 string objects per id (~600 bytes of garbage), which V8
 * flattens again when the batch encoder joins the ids (~0.3 µs per id in all); this makes one flat string.
 */
const ID_CODES: number[] = Array.from({ length: 36 }, () => DASH);
const POOL = new Uint8Array(8192);
const BYTES_PER_ID = 10;
let poolOffset = POOL.length;
let lastMillis = -1;
let counter = 0;

/** Writes the two hex digits of `byte` at `offset` of ID_CODES. */
function putHex(offset: number, byte: number): void {
  ID_CODES[offset] = HEX_CODES[2 * byte];
  ID_CODES[offset + 1] = HEX_CODES[2 * byte + 1];
}

/** Returns a new, time-ordered UUIDv7 in its canonical lower-case text form. */
export function uuidv7(): string {
  if (poolOffset > POOL.length - BYTES_PER_ID) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += BYTES_PER_ID;
  let millis = Date.now();
  if (millis > lastMillis) {
    lastMillis = millis;
    // A random start below 0x800 leaves at least 2048 ids of headroom in this millisecond.
    counter = ((POOL[at] << 3) | (POOL[at + 1] & 0x07)) & 0x7ff;
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMillis++;
      counter = 0;
    }
    millis = lastMillis;
  }
  const high = Math.floor(millis / 0x100000000);
  const low = millis >>> 0;
  // xxxxxxxx-xxxx-7xxx-Vxxx-xxxxxxxxxxxx: the dashes at 8, 13, 18 and 23 never change.
  putHex(0, (high >>> 8) & 0xff);
  putHex(2, high & 0xff);
  putHex(4, low >>> 24);
  putHex(6, (low >>> 16) & 0xff);
  putHex(9, (low >>> 8) & 0xff);
  putHex(11, low & 0xff);
  putHex(14, 0x70 | (counter >>> 8));
  putHex(16, counter & 0xff);
  putHex(19, 0x80 | (POOL[at + 2] & 0x3f));
  putHex(21, POOL[at + 3]);
  for (let i = 0; i < 6; i++) putHex(24 + 2 * i, POOL[at + 4 + i]);
  return String.fromCharCode.apply(null, ID_CODES);
}
