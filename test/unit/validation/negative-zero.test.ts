import { validateMetricRecord } from "../../../src/validation/validate-record";

describe("-0 (issue 16)", () => {
  it("is normalised to 0 by validation on purpose (the databases cannot keep the sign), so it round-trips as 0", () => {
    const row = validateMetricRecord(
      {
        skill_id: "s",
        started_at: "2026-11-27T10:00:00.000Z",
        completed_at: "2026-11-27T10:00:00.000Z",
        total_duration_ms: -0,
        api_calls_cost_usd: -0,
        temperature: -0,
        status: "success",
      },
      { generateId: true },
    );
    for (const field of ["total_duration_ms", "api_calls_cost_usd", "temperature"] as const) expect(Object.is(row[field], 0)).toBe(true);
  });
});
