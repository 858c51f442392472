import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricValidationError } from "../../../src/errors";
import { MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { BASELINE_METRICS } from "../../../src/services/metric-baseline";
import { seed } from "./seed";
import { baselineRecords, closeTo, databaseStatistics } from "./statistics-fixtures";

describe("getBaseline for every metric, against numpy (fixtures/statistics)", () => {
  let dataSource: DataSource;
  let service: MetricsQueryService;
  const now = new Date(databaseStatistics.now);
  const skill = databaseStatistics.baseline_skill;

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, baselineRecords());
    service = new MetricsQueryService(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  for (const expected of databaseStatistics.baselines) {
    const windowMillis = expected.window_millis;
    it.each(["duration", "cost", "tokens_in", "tokens_out", "output_quality", "correctness"] as const)(
      `%s over a window of ${windowMillis} ms`,
      async (metric) => {
        const baseline = await service.getBaseline(skill, { metric, windowMillis, now });
        const wanted = expected[metric];
        expect(baseline).toMatchObject({ skillId: skill, metric, count: wanted.count, to: now, from: new Date(now.getTime() - windowMillis) });
        for (const field of ["mean", "stddev", "p50", "p95", "p99"] as const) {
          expect({ field, value: baseline[field], close: closeTo(baseline[field], wanted[field]) }).toMatchObject({ field, close: true });
        }
      },
    );

    it(`success_rate with its Wilson interval over a window of ${windowMillis} ms`, async () => {
      const baseline = await service.getBaseline(skill, { metric: "success_rate", windowMillis, now });
      const wanted = expected.success_rate;
      expect(baseline).toMatchObject({ metric: "success_rate", count: wanted.count, successes: wanted.successes });
      expect(closeTo(baseline.rate, wanted.rate)).toBe(true);
      expect(closeTo(baseline.interval?.low, wanted.low)).toBe(true);
      expect(closeTo(baseline.interval?.high, wanted.high)).toBe(true);
    });
  }

  it("duration stays the default and keeps its original fields", async () => {
    const windowMillis = databaseStatistics.baselines[0].window_millis;
    const baseline = await service.getBaseline(skill, { windowMillis, now });
    expect(baseline.metric).toBe("duration");
    expect(baseline.meanDurationMs).toBe(baseline.mean);
    expect(baseline.stddevDurationMs).toBe(baseline.stddev);
    expect(baseline.p95DurationMs).toBe(baseline.p95);
    expect(closeTo(baseline.p95DurationMs, databaseStatistics.baselines[0].duration.p95)).toBe(true);
  });

  it("an empty window: count 0 and nulls, for every metric", async () => {
    for (const metric of BASELINE_METRICS) {
      const baseline = (await service.getBaseline("no-such-skill", { metric, windowMillis: 1000, now })) as unknown as Record<string, unknown>;
      expect(baseline.count).toBe(0);
      for (const field of ["mean", "stddev", "p50", "p95", "p99", "rate", "interval"]) {
        if (field in baseline) expect(baseline[field]).toBeNull();
      }
    }
  });

  it("refuses an unknown metric with a MetricValidationError naming it", async () => {
    const error = await service.getBaseline(skill, { metric: "latency" as never, windowMillis: 1000, now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe("metric");
  });
});
