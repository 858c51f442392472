import { validate as isUuid, version as uuidVersion } from "uuid";
import { isoTimestamp } from "../../../src/tracking/iso-timestamp";
import { uuidv7 } from "../../../src/tracking/uuid-v7";

describe("uuidv7", () => {
  it("makes valid, unique, strictly increasing version-7 UUIDs carrying the current time", () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    for (const id of [ids[0], ids[9_999], ids[19_999]]) {
      expect(isUuid(id)).toBe(true);
      expect(uuidVersion(id)).toBe(7);
      const millis = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
      expect(millis).toBeGreaterThanOrEqual(before);
      expect(millis).toBeLessThanOrEqual(after + 10); // the counter may borrow a few ms under a burst
    }
  });
});

describe("isoTimestamp", () => {
  it("formats exactly like Date#toISOString, dropping fractions", () => {
    const samples = [0, 1, 999, 1000, 1764288000123, 1764287999999, Date.now(), 951782400000 /* 2000-02-29 */];
    for (const millis of samples) expect(isoTimestamp(millis)).toBe(new Date(millis).toISOString());
    for (const millis of samples) expect(isoTimestamp(millis + 0.75)).toBe(new Date(millis).toISOString());
  });

  it("agrees with Date#toISOString on every millisecond of a second, in and out of order, and on 100,000 random instants", () => {
    const second = 1764288000000;
    for (let ms = 0; ms < 1000; ms++) expect(isoTimestamp(second + ms)).toBe(new Date(second + ms).toISOString());
    for (let ms = 999; ms >= 0; ms -= 7) expect(isoTimestamp(second - 1000 + ms)).toBe(new Date(second - 1000 + ms).toISOString());
    const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 100_000; i++) {
      const millis = Math.floor(Math.random() * last);
      const expected = new Date(millis).toISOString();
      if (isoTimestamp(millis) !== expected) throw new Error(`${millis}: ${isoTimestamp(millis)} ≠ ${expected}`);
    }
  });
});
