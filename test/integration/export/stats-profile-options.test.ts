import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ExportService } from "../../../src/exchange/ExportService";
import { ProfileService } from "../../../src/services/ProfileService";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { at, DAY, finished, seed } from "../services/seed";

/**
 * stats.json is computed with the collector's profile options (CollectorOptions.profiles): ExportService reads
 * profiles through the ProfileService it is given, not one with the defaults of its own.
 */
describe("stats.json and the profile options", () => {
  const NOW = "2026-06-30T00:00:00.000Z";
  // A 30-day trend window with a sample of 3: with the defaults (7 days, 20) every trend below would be null.
  const profiles = { clock: () => new Date(NOW), trendWindowMillis: 30 * DAY, trendMinSample: 3, trendThreshold: 0.2 };
  // Previous window (30–60 days ago): 4 runs of 1000 ms costing $1; recent window (0–30 days ago): 4 of 100 ms, $0.1.
  const records = [
    ...[40, 45, 50, 55].map((d) => finished("s", at(NOW, -d * DAY), 1000, { api_calls_count: 1, api_calls_cost_usd: 1 })),
    ...[10, 15, 20, 25].map((d) => finished("s", at(NOW, -d * DAY), 100, { api_calls_count: 1, api_calls_cost_usd: 0.1 })),
  ];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-stats-options-"));
  });

  afterEach(() => {
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  function expectCollectorOptions(document: { profiles: Record<string, unknown>[] }): void {
    expect(document.profiles).toHaveLength(1);
    expect(document.profiles[0]).toMatchObject({
      skill_id: "s",
      total_executions: 8,
      // The collector's clock stamped the profile …
      calculated_at: NOW,
      // … and its 30-day window with a sample of 3 gave trends (the defaults would give null).
      getting_faster: true,
      getting_cheaper: true,
      success_rate_trend: "stable",
    });
  }

  it("collector.exportStatsJson() uses options.profiles (trend window, sample, clock)", async () => {
    const metrics = await ExecutionMetricsCollector.create({ database: join(dir, "metrics.db"), profiles, setAsDefault: false });
    try {
      for (const record of records) metrics.record(record);
      const file = join(dir, "stats.json");
      expect((await metrics.exportStatsJson(file)).rows).toBe(1);
      expectCollectorOptions(JSON.parse(readFileSync(file, "utf8")));
    } finally {
      await metrics.shutdown();
    }
  });

  it("ExportService reads through the ProfileService it is given; without one, ProfileService's defaults", async () => {
    const metrics = await ExecutionMetricsCollector.create({ database: ":memory:", setAsDefault: false, spillPath: null });
    try {
      const dataSource = metrics.dataSource;
      await seed(dataSource, records);
      const defaults = join(dir, "defaults.json");
      await new ExportService(dataSource).exportStatsJson(defaults);
      expect(JSON.parse(readFileSync(defaults, "utf8")).profiles[0]).toMatchObject({
        total_executions: 8,
        getting_faster: null,
        getting_cheaper: null,
        success_rate_trend: null,
      });
      // A new execution makes the stored profile stale, so the next export recomputes it with its service's options.
      await seed(dataSource, [finished("s", at(NOW, -12 * DAY), 100, { api_calls_count: 1, api_calls_cost_usd: 0.1 })]);
      const file = join(dir, "stats.json");
      await new ExportService(dataSource, new ProfileService(dataSource, profiles)).exportStatsJson(file);
      const document = JSON.parse(readFileSync(file, "utf8"));
      expect(document.profiles[0]).toMatchObject({ total_executions: 9, calculated_at: NOW, getting_faster: true, getting_cheaper: true });
    } finally {
      await metrics.shutdown();
    }
  });
});
