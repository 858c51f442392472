import { MetricsQueryService } from "../../src/services/MetricsQueryService";
import { VariantComparisonService } from "../../src/services/VariantComparisonService";
import { validateMetricRecord } from "../../src/validation/validate-record";
import {
  baselineRecords,
  closeTo,
  comparisonRecords,
  databaseStatistics,
  expectComparison,
  secondsBeforeNow,
} from "../integration/services/statistics-fixtures";
import { describePg } from "./pg-database";
import { createTwinDatabases, type TwinDatabases } from "./twin-databases";

describePg("compareVariants and getBaseline on PostgreSQL, against scipy/numpy (fixtures/statistics)", () => {
  let twins: TwinDatabases;

  beforeAll(async () => {
    const records = [...comparisonRecords(), ...baselineRecords()];
    twins = await createTwinDatabases("variant_statistics", records.map((r) => validateMetricRecord(r, { generateId: true })));
  });

  afterAll(async () => {
    await twins?.cleanup();
  });

  it.each(databaseStatistics.comparisons.map((c) => [`${c.skill} ${c.baseline}→${c.candidate}${c.from_seconds_ago ? " in a range" : ""}`, c] as const))(
    "compareVariants %s",
    async (_name, expected) => {
      const service = new VariantComparisonService(twins.pg);
      const comparison = await service.compareVariants(expected.skill, {
        baseline: expected.baseline,
        candidate: expected.candidate,
        ...(expected.from_seconds_ago === undefined ? {} : { from: secondsBeforeNow(expected.from_seconds_ago) }),
        ...(expected.to_seconds_ago === undefined ? {} : { to: secondsBeforeNow(expected.to_seconds_ago) }),
      });
      expectComparison(comparison, expected);
    },
  );

  it("lists variants as SQLite does", async () => {
    expect(await new VariantComparisonService(twins.pg).listVariants("cmp_large")).toEqual(
      await new VariantComparisonService(twins.sqlite).listVariants("cmp_large"),
    );
  });

  it("getBaseline of every metric over both windows", async () => {
    const service = new MetricsQueryService(twins.pg);
    const now = new Date(databaseStatistics.now);
    const wrong: string[] = [];
    for (const expected of databaseStatistics.baselines) {
      for (const metric of ["duration", "cost", "tokens_in", "tokens_out", "output_quality", "correctness"] as const) {
        const baseline = await service.getBaseline(databaseStatistics.baseline_skill, { metric, windowMillis: expected.window_millis, now });
        for (const field of ["count", "mean", "stddev", "p50", "p95", "p99"] as const) {
          if (!closeTo(baseline[field], expected[metric][field])) wrong.push(`${metric}.${field}: ${baseline[field]} ≠ ${expected[metric][field]}`);
        }
      }
      const rate = await service.getBaseline(databaseStatistics.baseline_skill, { metric: "success_rate", windowMillis: expected.window_millis, now });
      const want = expected.success_rate;
      if (rate.count !== want.count || rate.successes !== want.successes || !closeTo(rate.rate, want.rate)) wrong.push("success_rate");
      if (!closeTo(rate.interval?.low, want.low) || !closeTo(rate.interval?.high, want.high)) wrong.push("success_rate.interval");
    }
    expect(wrong).toEqual([]);
  });
});
