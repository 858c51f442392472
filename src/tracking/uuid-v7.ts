import { randomFillSync } from "node:crypto";

/**
 * UUIDv7 generation for execution ids (RFC 9562: 48-bit Unix milliseconds, version 7, a 12-bit counter in
 * rand_a, variant 10, 62 random bits).
 *
 * Why not the `uuid` package's v7() here: it allocates two Uint8Arrays per id and costs ~0.6 µs per call on
 * this kind of machine, a quarter of the whole per-call budget of tracking. This version draws from one
 * 8 KiB random pool and formats with a lookup table (~0.15 µs). Ids stay strictly increasing within one
 * process (a counter in rand_a; when it overflows inside one millisecond the timestamp borrows from the next
 * millisecond, as RFC 9562 §6.2 method 1 allows), so inserts append to the primary-key index.
 */

const HEX: readonly string[] = Array.from({ length: 256 }, (_unused, byte) => (byte + 0x100).toString(16).slice(1));
const POOL = new Uint8Array(8192);
const BYTES_PER_ID = 10;
let poolOffset = POOL.length;
let lastMillis = -1;
let counter = 0;

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
  return (
    HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + HEX[low >>> 24] + HEX[(low >>> 16) & 0xff] + "-" +
    HEX[(low >>> 8) & 0xff] + HEX[low & 0xff] + "-" +
    HEX[0x70 | (counter >>> 8)] + HEX[counter & 0xff] + "-" +
    HEX[0x80 | (POOL[at + 2] & 0x3f)] + HEX[POOL[at + 3]] + "-" +
    HEX[POOL[at + 4]] + HEX[POOL[at + 5]] + HEX[POOL[at + 6]] + HEX[POOL[at + 7]] + HEX[POOL[at + 8]] + HEX[POOL[at + 9]]
  );
}
