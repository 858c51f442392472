import { decodeBatch, encodeBatch } from "../../../src/recording/writer/batch-codec";
import { makeRow, makeRows } from "./make-row";

/** What the writer thread receives: the encoded batch, cloned as postMessage clones it, its buffers moved. */
function crossed(rows: Parameters<typeof encodeBatch>[0]) {
  const { batch, transfer } = encodeBatch(rows);
  return decodeBatch(structuredClone(batch, { transfer }));
}

describe("batch codec (rows in columns to the writer thread)", () => {
  it("gives back every row exactly, whatever its columns hold", () => {
    const rows = makeRows(300);
    rows[7] = { ...rows[7], total_duration_ms: -0, api_calls_cost_usd: 5e-324, tokens_in: 2 ** 31 - 1, tags: ["a", "b"], error_message: "é ✓" };
    rows[8] = { ...rows[8], total_duration_ms: 0, input_complexity: Number.MAX_VALUE, warnings: ["w"], warning_count: 1 };
    const decoded = crossed(rows);
    expect(decoded).toEqual(rows);
    // toEqual treats -0 and 0 alike: check the sign bit itself.
    expect(Object.is(decoded[7].total_duration_ms, -0)).toBe(true);
    expect(Object.is(decoded[8].total_duration_ms, 0)).toBe(true);
  });

  it("round-trips 100,000 random doubles bit for bit", () => {
    const bytes = new DataView(new ArrayBuffer(8));
    const rows = Array.from({ length: 100_000 }, (_unused, i) => {
      for (let b = 0; b < 8; b++) bytes.setUint8(b, Math.floor(Math.random() * 256));
      const value = bytes.getFloat64(0);
      return { ...makeRow(i), total_duration_ms: Number.isFinite(value) ? value : i };
    });
    const decoded = crossed(rows);
    for (let i = 0; i < rows.length; i++) {
      if (!Object.is(decoded[i].total_duration_ms, rows[i].total_duration_ms)) {
        throw new Error(`row ${i}: ${rows[i].total_duration_ms} came back as ${decoded[i].total_duration_ms}`);
      }
    }
  });

  it("keeps -0 apart from 0, nulls apart from values, and text with any characters, in every column form", () => {
    const rows = makeRows(6);
    // Column forms: error_message mixes null and text (values), job_id is text in every row (text), tokens_in
    // numbers in every row (numbers), and -0 / 0 differ only in the sign bit.
    const texts = ["", "a\u0000b", "\uD83D\uDE00 emoji", "line\nbreak", "é", "x".repeat(5000)];
    rows.forEach((row, i) => {
      row.job_id = texts[i];
      row.error_message = i % 2 === 0 ? null : texts[i];
      row.tokens_in = i;
      row.api_calls_cost_usd = i === 3 ? -0 : 0;
    });
    const decoded = crossed(rows);
    expect(decoded).toEqual(rows);
    expect(decoded.map((row) => Object.is(row.api_calls_cost_usd, -0))).toEqual([false, false, false, true, false, false]);
    expect(decoded.map((row) => row.job_id)).toEqual(texts);
  });

  it("encodes an empty batch and a batch of one", () => {
    expect(crossed([])).toEqual([]);
    const one = [makeRow(1)];
    expect(crossed(one)).toEqual(one);
  });
});
