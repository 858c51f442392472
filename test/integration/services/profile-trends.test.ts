import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { ProfileService } from "../../../src/services/ProfileService";
import { at, DAY, finished, seed } from "./seed";

const NOW = "2026-10-15T12:00:00.000Z";
const WEEK = 7 * DAY;

interface WindowSpec {
  n: number;
  successes?: number;
  duration?: number | ((i: number) => number);
  cost?: number;
}

/** n executions spread inside [end − span, end), the first `successes` successful, the rest failed. */
function windowRows(skill: string, end: string, span: number, spec: WindowSpec): Record<string, unknown>[] {
  const successes = spec.successes ?? spec.n;
  return Array.from({ length: spec.n }, (_, i) =>
    finished(skill, at(end, -Math.floor(((i + 1) * span) / (spec.n + 1))), typeof spec.duration === "function" ? spec.duration(i) : (spec.duration ?? 100), {
      status: i < successes ? "success" : "failure",
      api_calls_cost_usd: spec.cost ?? 0.01,
    }),
  );
}

async function trendsOf(recent: WindowSpec, previous: WindowSpec, options = {}) {
  const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
  try {
    await seed(dataSource, [...windowRows("s", NOW, WEEK, recent), ...windowRows("s", at(NOW, -WEEK), WEEK, previous)]);
    const [profile] = await new ProfileService(dataSource, { clock: () => new Date(NOW), ...options }).refresh("s");
    return { faster: profile.gettingFaster, cheaper: profile.gettingCheaper, success: profile.successRateTrend };
  } finally {
    await dataSource.destroy();
  }
}

describe("ProfileService trends: recent window [now − 7d, now) against [now − 14d, now − 7d)", () => {
  it("getting faster and cheaper when the recent median and mean cost are more than 10% lower", async () => {
    expect(await trendsOf({ n: 20, duration: 80, cost: 0.008 }, { n: 20, duration: 100, cost: 0.01 })).toEqual({
      faster: true,
      cheaper: true,
      success: "stable",
    });
  });

  it("not getting faster or cheaper when slower and dearer", async () => {
    expect(await trendsOf({ n: 20, duration: 120, cost: 0.02 }, { n: 20, duration: 100, cost: 0.01 })).toMatchObject({
      faster: false,
      cheaper: false,
    });
  });

  it("a drop of 10% or less is not a trend", async () => {
    expect(await trendsOf({ n: 25, duration: 91, cost: 0.0091 }, { n: 25, duration: 100, cost: 0.01 })).toMatchObject({
      faster: false,
      cheaper: false,
    });
  });

  it("faster is judged on the median, not the mean: an outlier does not decide it", async () => {
    const recent = { n: 21, duration: (i: number) => (i === 0 ? 100_000 : 50) };
    expect((await trendsOf(recent, { n: 21, duration: 100 })).faster).toBe(true);
  });

  it('success rate "up" and "down" when the z-test is significant at 0.05, "stable" when not', async () => {
    expect((await trendsOf({ n: 20, successes: 20 }, { n: 20, successes: 10 })).success).toBe("up");
    expect((await trendsOf({ n: 20, successes: 10 }, { n: 20, successes: 20 })).success).toBe("down");
    // 18/20 vs 16/20: z ≈ 0.74, not significant.
    expect((await trendsOf({ n: 20, successes: 18 }, { n: 20, successes: 16 })).success).toBe("stable");
    // All failures in both windows: no variance, stable.
    expect((await trendsOf({ n: 20, successes: 0 }, { n: 20, successes: 0 })).success).toBe("stable");
  });

  it("no trend at all when either window has fewer than 20 executions", async () => {
    const none = { faster: null, cheaper: null, success: null };
    expect(await trendsOf({ n: 19, duration: 10 }, { n: 40, duration: 100 })).toEqual(none);
    expect(await trendsOf({ n: 40, duration: 10 }, { n: 19, duration: 100 })).toEqual(none);
  });

  it("window length, minimum sample and threshold are options", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await seed(dataSource, [
        ...windowRows("s", NOW, DAY, { n: 5, duration: 96 }),
        ...windowRows("s", at(NOW, -DAY), DAY, { n: 5, duration: 100 }),
      ]);
      const options = { clock: () => new Date(NOW), trendWindowMillis: DAY, trendMinSample: 5 };
      expect((await new ProfileService(dataSource, options).refresh("s"))[0].gettingFaster).toBe(false);
      const sensitive = new ProfileService(dataSource, { ...options, trendThreshold: 0.03 });
      expect((await sensitive.refresh("s"))[0].gettingFaster).toBe(true);
    } finally {
      await dataSource.destroy();
    }
  });
});
