import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isStorableDate, parseIsoInstant, toStoredInstant } from "../../../src/model/iso-instant";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { MetricValidationError } from "../../../src/errors";

/** Expected epoch milliseconds from Python's datetime (fixtures/iso-instants/compute_iso_instants.py). */
const ORACLE = JSON.parse(readFileSync(join(__dirname, "../../../fixtures/iso-instants/iso_instants.json"), "utf8")) as {
  text: string;
  allowDateOnly: boolean;
  epochMillis: number | null;
}[];

describe("parseIsoInstant: the one strict reading of timestamps", () => {
  it.each(ORACLE.map((c) => [c.text, c.allowDateOnly, c.epochMillis] as const))(
    "%s (bare date allowed: %s) → %s, as Python's datetime computes it",
    (text, allowDateOnly, expected) => {
      expect(parseIsoInstant(text, { allowDateOnly })).toBe(expected);
      const stored = toStoredInstant(text, { allowDateOnly });
      if (expected === null) expect(stored).toBeNull();
      else {
        expect(stored).toHaveLength(24);
        expect(Date.parse(stored!)).toBe(expected);
      }
    },
  );

  it("refuses Date objects outside years 0000–9999 UTC and invalid Dates, as the stored form cannot hold them", () => {
    expect(isStorableDate(new Date("9999-12-31T23:59:59.999Z"))).toBe(true);
    expect(isStorableDate(new Date(253402300800000))).toBe(false);
    expect(isStorableDate(new Date(-62167219200001))).toBe(false);
    expect(isStorableDate(new Date(Number.NaN))).toBe(false);
    expect(toStoredInstant(new Date(253402300800000))).toBeNull();
  });

  it("record() refuses a timestamp whose offset carries it past year 9999, and a Date past it, naming the field", () => {
    const base = {
      skill_id: "s",
      started_at: "2026-11-27T10:00:00.000Z",
      completed_at: "2026-11-27T10:00:01.000Z",
      total_duration_ms: 1000,
      status: "success",
    };
    for (const value of ["9999-12-31T23:59:59-01:00", new Date(253402300800000), "2026-02-30T00:00:00Z"]) {
      let thrown: unknown;
      try {
        validateMetricRecord({ ...base, completed_at: value }, { generateId: true });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(MetricValidationError);
      expect((thrown as MetricValidationError).issues).toEqual([
        expect.objectContaining({ field: "completed_at", rule: "isoInstant", message: expect.stringMatching(/^must be an ISO-8601 time with a zone .*years 0000-9999 UTC, got /) }),
      ]);
    }
    // An offset inside the range is normalised to UTC, the stored 24-character form.
    expect(validateMetricRecord({ ...base, completed_at: "2026-11-27T11:00:01+01:00" }, { generateId: true }).completed_at).toBe(
      "2026-11-27T10:00:01.000Z",
    );
  });
});
