import { dialectOf, queryFor } from "../../../src/storage/sql-support";
import { BUCKETS_PER_DECADE, ZERO_BUCKET } from "../../../src/report/log-buckets";
import { loadReportData } from "../../../src/report/report-data";
import { ReportService } from "../../../src/report/ReportService";
import { ProfileService } from "../../../src/services/ProfileService";
import { chooseGranularity, timeBucketKeys } from "../../../src/report/time-buckets";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import { at, DAY, finished, fixtureRows, seed } from "../services/seed";
import { createFixtureDatabase, type FixtureDatabase } from "./fixture-report";

describe("report aggregation in SQL equals the same counts computed in JS from the fixture rows", () => {
  let db: FixtureDatabase;
  const rows = [...fixtureRows("success_cases"), ...fixtureRows("failure_cases"), ...fixtureRows("edge_cases")].filter(
    (r) => r.status !== "running",
  );

  beforeAll(async () => {
    db = await createFixtureDatabase();
  });
  afterAll(async () => {
    await db.cleanup();
  });

  it("histogram buckets: floor(5·log10 d) per skill, empty buckets between filled ones, 0 ms apart", async () => {
    const data = await loadReportData(queryFor(db.dataSource, dialectOf(db.dataSource)));
    expect([...data.skills.keys()]).toEqual([...new Set(rows.map((r) => r.skill_id))].sort());
    for (const [skillId, series] of data.skills) {
      const expected = new Map<number, number>();
      for (const r of rows.filter((x) => x.skill_id === skillId && x.total_duration_ms !== null)) {
        const d = r.total_duration_ms as number;
        const k = d <= 0 ? ZERO_BUCKET : Math.floor(Math.log10(d) * BUCKETS_PER_DECADE);
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const got = new Map(series.histogram.filter((b) => b.count > 0).map((b) => [b.index, b.count]));
      expect({ skillId, buckets: Object.fromEntries(got) }).toEqual({ skillId, buckets: Object.fromEntries(expected) });
      const real = series.histogram.filter((b) => b.index !== ZERO_BUCKET);
      real.forEach((b, i) => {
        if (i > 0) expect(b.index).toBe(real[i - 1].index + 1);
        expect(b.lowerMs).toBeCloseTo(Math.pow(10, b.index / BUCKETS_PER_DECADE), 2);
        expect(b.upperMs).toBeGreaterThan(b.lowerMs);
      });
    }
  });

  it("time buckets: daily by started_at text, every day from the first to the last execution, per status", async () => {
    const data = await loadReportData(queryFor(db.dataSource, dialectOf(db.dataSource)));
    const first = rows.map((r) => r.started_at).sort()[0];
    const last = rows.map((r) => r.started_at).sort().at(-1)!;
    expect(data.axis?.granularity).toBe("day");
    expect(data.axis?.keys[0]).toBe(first.slice(0, 10));
    expect(data.axis?.keys.at(-1)).toBe(last.slice(0, 10));
    expect(data.axis?.keys.length).toBe((Date.parse(last.slice(0, 10)) - Date.parse(first.slice(0, 10))) / DAY + 1);
    for (const [skillId, series] of data.skills) {
      const mine = rows.filter((r) => r.skill_id === skillId);
      expect(series.finished).toBe(mine.length);
      for (const point of series.timeline) {
        const day = mine.filter((r) => r.started_at.startsWith(point.key));
        const count = (status: string) => day.filter((r) => r.status === status).length;
        expect({ skillId, key: point.key, success: point.success, failure: point.failure, timeout: point.timeout }).toEqual({
          skillId,
          key: point.key,
          success: count("success"),
          failure: count("failure"),
          timeout: count("timeout"),
        });
        expect(point.costUsd).toBeCloseTo(day.reduce((s, r) => s + r.api_calls_cost_usd, 0), 9);
        expect(point.tokensIn).toBe(day.reduce((s, r) => s + (r.tokens_in ?? 0), 0));
        expect(point.tokensOut).toBe(day.reduce((s, r) => s + (r.tokens_out ?? 0), 0));
      }
      const categories = new Map<string, number>();
      for (const r of mine.filter((x) => x.status !== "success")) {
        categories.set(r.error_category ?? "unknown", (categories.get(r.error_category ?? "unknown") ?? 0) + 1);
      }
      expect(Object.fromEntries(series.failureCategories)).toEqual(Object.fromEntries(categories));
      // Each category's count split by status, for the failure chart's bars in the statuses' colours.
      for (const [category, count, failures, timeouts] of series.failureCategories) {
        const inCategory = mine.filter((r) => r.status !== "success" && (r.error_category ?? "unknown") === category);
        expect({ skillId, category, count, failures, timeouts }).toEqual({
          skillId,
          category,
          count: inCategory.length,
          failures: inCategory.filter((r) => r.status === "failure").length,
          timeouts: inCategory.filter((r) => r.status === "timeout").length,
        });
      }
      const counts = series.failureCategories.map(([, n]) => n);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
    }
  });
});

describe("time buckets by range", () => {
  const base = new Date("2026-03-30T22:30:00.000Z");
  it("hourly up to 3 days, daily up to 180 days, monthly beyond; keys are contiguous", () => {
    expect(chooseGranularity(base, new Date(base.getTime() + 3 * DAY))).toBe("hour");
    expect(chooseGranularity(base, new Date(base.getTime() + 3 * DAY + 1))).toBe("day");
    expect(chooseGranularity(base, new Date(base.getTime() + 180 * DAY))).toBe("day");
    expect(chooseGranularity(base, new Date(base.getTime() + 181 * DAY))).toBe("month");
    expect(timeBucketKeys(base, new Date("2026-03-31T01:00:00.000Z"), "hour")).toEqual([
      "2026-03-30T22",
      "2026-03-30T23",
      "2026-03-31T00",
      "2026-03-31T01",
    ]);
    expect(timeBucketKeys(base, new Date("2026-04-02T00:00:00.000Z"), "day")).toEqual([
      "2026-03-30",
      "2026-03-31",
      "2026-04-01",
      "2026-04-02",
    ]);
    // From the 30th/31st, stepping by month must not skip February.
    expect(timeBucketKeys(new Date("2026-01-31T12:00:00Z"), new Date("2026-04-01T00:00:00Z"), "month")).toEqual([
      "2026-01",
      "2026-02",
      "2026-03",
      "2026-04",
    ]);
  });
});

describe("report pages from hand-made rows", () => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await createTempDatabase();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it("uses hourly buckets for a short range and escapes hostile category names inside the SVG", async () => {
    const start = "2026-05-01T10:15:00.000Z";
    await seed(temp.dataSource, [
      finished("s", start, 12.5),
      finished("s", at(start, 3_600_000), 0),
      finished("s", at(start, 7_200_000), 250, { status: "failure", error_category: `<script>alert("x")</script>` }),
    ]);
    const html = await new ReportService(temp.dataSource).render();
    expect(html).toContain("hourly buckets");
    expect(html).toContain(">2026-05-01 10:00</text>");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(");
    expect(html).toContain("1 execution took 0 ms (not on the log axis).");
    // Rendering twice gives the same bytes: the page depends on the data and the clock only.
    const clock = () => new Date("2026-05-02T00:00:00.000Z");
    const service = new ReportService(temp.dataSource, { clock, profileOptions: { clock } });
    expect(await service.render()).toBe(await service.render());
  });

  it("writes a page that says there is nothing to show for an empty database", async () => {
    const html = await new ReportService(temp.dataSource).render();
    expect(html).toContain("No finished executions match this report.");
    expect(html).not.toContain('<section class="skill"');
  });
});

describe("report percentiles and the stored profiles", () => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await createTempDatabase();
    const start = "2026-05-01T10:00:00.000Z";
    await seed(
      temp.dataSource,
      Array.from({ length: 41 }, (_, i) => finished(i % 2 ? "a" : "b", at(start, i * 60_000), 10 + i)),
    );
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  const median = async (filter = {}) =>
    (await loadReportData(queryFor(temp.dataSource, dialectOf(temp.dataSource)), filter)).skills.get("a")!.median;

  it("without a time range, a current profile's median is taken as stored; with a range, or once stale, computed", async () => {
    // a: durations 11, 13, …, 49 (20 executions): median 30.
    expect(await median()).toBe(30);
    await new ProfileService(temp.dataSource).getSkillProfiles();
    // A stored figure altered behind the markers' back shows that the report read it instead of the rows.
    await temp.dataSource.query(`UPDATE skill_profiles SET median_duration_ms = 31.5 WHERE skill_id = 'a'`);
    expect(await median()).toBe(31.5);
    expect(await median({ from: "2026-05-01T00:00:00.000Z" })).toBe(30);
    expect(await median({ skillId: "a" })).toBe(31.5);
    // A new execution of a: the profile is no longer current, the median is computed from the rows again.
    await seed(temp.dataSource, [finished("a", "2026-05-01T12:00:00.000Z", 51)]);
    expect(await median()).toBe(31);
  });
});
