import { createHash } from "node:crypto";
import { stableDigest } from "../../../src/tracking/stable-digest";

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

describe("stableDigest", () => {
  it("hashes the documented serialization and counts its UTF-8 bytes", () => {
    const digest = stableDigest({ b: "é", a: [1, null, true] });
    const text = '{"a":[1,null,true],"b":"é"}';
    expect(digest).toEqual({ sizeBytes: Buffer.byteLength(text, "utf8"), sha256: sha256(text) });
  });

  it("does not depend on key order, Map or Set insertion order", () => {
    expect(stableDigest({ a: 1, b: { c: 2, d: 3 } }).sha256).toBe(stableDigest({ b: { d: 3, c: 2 }, a: 1 }).sha256);
    expect(stableDigest(new Map([["x", 1], ["y", 2]])).sha256).toBe(stableDigest(new Map([["y", 2], ["x", 1]])).sha256);
    expect(stableDigest(new Set([3, 1, 2])).sha256).toBe(stableDigest(new Set([1, 2, 3])).sha256);
    expect(stableDigest({ a: 1 }).sha256).not.toBe(stableDigest({ a: 2 }).sha256);
  });

  it("takes Buffers and typed arrays by their bytes", () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const digest = stableDigest(bytes);
    expect(digest.sizeBytes).toBe("Buffer(4):".length + 4);
    expect(digest.sha256).toBe(sha256(Buffer.concat([Buffer.from("Buffer(4):"), bytes])));
    const view = new Uint16Array([1, 2]).subarray(1);
    expect(stableDigest(view).sizeBytes).toBe("Uint16Array(2):".length + 2);
    expect(stableDigest(new Uint8Array([1, 2])).sha256).not.toBe(stableDigest(new Uint8Array([1, 3])).sha256);
  });

  it("handles cycles, functions, bigint, symbols, undefined, dates and deep nesting without throwing", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const digest = stableDigest([cyclic, function named() {}, 10n, Symbol("s"), undefined, new Date(0), Number.NaN]);
    expect(digest.sha256).toBe(
      sha256('[{"name":"loop","self":[Circular]},[Function "named"],10n,Symbol("s"),undefined,Date(1970-01-01T00:00:00.000Z),NaN]'),
    );
    let deep: unknown = 0;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => stableDigest(deep)).not.toThrow();
  });

  it("names class instances, so equal fields of different classes differ", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(stableDigest(new Point(1)).sha256).toBe(sha256('Point{"x":1}'));
    expect(stableDigest(new Point(1)).sha256).not.toBe(stableDigest({ x: 1 }).sha256);
  });
});
