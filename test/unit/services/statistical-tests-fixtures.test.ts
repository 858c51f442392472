import { readFileSync } from "node:fs";
import { join } from "node:path";
import { normalCdf, normalTwoSidedP, studentTTwoSidedP } from "../../../src/services/distributions";
import { mannWhitneyFromRanks, mannWhitneyU, rankSummary } from "../../../src/services/mann-whitney";
import { twoProportionTest } from "../../../src/services/two-proportion-test";
import { welchTTest } from "../../../src/services/welch-t-test";
import { wilsonInterval } from "../../../src/services/wilson-interval";

/** fixtures/statistics/expected_statistics.json, written by scipy (generate_expected_statistics.py). */
const expected = JSON.parse(readFileSync(join(__dirname, "../../../fixtures/statistics/expected_statistics.json"), "utf8"));

/** The fixtures write NaN as null and infinities as strings. */
type Expected = number | string | null;
const value = (e: Expected): number | null =>
  e === null ? null : e === "Infinity" ? Infinity : e === "-Infinity" ? -Infinity : (e as number);

/** Equal to 1e-9 relative; a p-value scipy underflowed to 0 must be below 1e-300 here (subnormals differ). */
function expectClose(actual: number | null, e: Expected, what: string): void {
  const wanted = value(e);
  if (wanted === null || actual === null || !Number.isFinite(wanted)) {
    expect({ what, actual }).toEqual({ what, actual: wanted });
    return;
  }
  if (wanted === 0) {
    expect({ what, small: Math.abs(actual) < 1e-300 }).toEqual({ what, small: true });
    return;
  }
  const relative = Math.abs(actual - wanted) / Math.abs(wanted);
  expect({ what, actual, wanted, ok: relative <= 1e-9 }).toMatchObject({ what, ok: true });
}

describe("distributions against scipy", () => {
  it.each(expected.normal as { z: number; cdf: number; two_sided_p: number }[])("normal at z = $z", (c) => {
    expectClose(normalCdf(c.z), c.cdf, "cdf");
    expectClose(normalTwoSidedP(c.z), c.two_sided_p, "two-sided p");
  });

  it("Student t two-sided p over a grid of t and (fractional) degrees of freedom, to 1e-9", () => {
    for (const c of expected.student_t as { t: number; df: number; two_sided_p: number }[]) {
      expectClose(studentTTwoSidedP(c.t, c.df), c.two_sided_p, `t = ${c.t}, df = ${c.df}`);
    }
  });

  it("infinite t gives p = 0, NaN gives NaN", () => {
    expect(studentTTwoSidedP(Infinity, 3)).toBe(0);
    expect(studentTTwoSidedP(Number.NaN, 3)).toBeNaN();
    expect(normalTwoSidedP(-Infinity)).toBe(0);
  });
});

describe("Mann-Whitney U against scipy.stats.mannwhitneyu (two-sided, asymptotic)", () => {
  it.each(expected.mann_whitney as { name: string; x: number[]; y: number[]; u: number; p: number }[])("$name", (c) => {
    const result = mannWhitneyU(c.x, c.y);
    expectClose(result.u, c.u, "U");
    expectClose(result.pValue, c.p, "p");
  });

  it("refuses an empty sample", () => {
    expect(() => mannWhitneyU([], [1, 2])).toThrow(RangeError);
    expect(() => mannWhitneyFromRanks({ n1: 2, n2: 0, rankSum1: 3, tieTerm: 0 })).toThrow(RangeError);
  });

  it("the rank summary holds mean ranks of ties and Σ(t³ − t)", () => {
    // pooled 1 2 2 3 | 2 3: ranks 1, 3, 3, 5.5 for x; ties: {2,2,2} → 24, {3,3} → 6
    expect(rankSummary([1, 2, 2, 3], [2, 3])).toEqual({ n1: 4, n2: 2, rankSum1: 12.5, tieTerm: 30 });
  });
});

describe("Welch's t-test against scipy.stats.ttest_ind(equal_var=False)", () => {
  it.each(expected.welch as { name: string; x: number[]; y: number[]; t: Expected; df: Expected; p: Expected }[])("$name", (c) => {
    const result = welchTTest(c.x, c.y);
    expectClose(result.t, c.t, "t");
    expectClose(result.pValue, c.p, "p");
    if (result.t !== null) expectClose(result.df, c.df, "df");
  });

  it("refuses an empty sample", () => {
    expect(() => welchTTest([1, 2], [])).toThrow(RangeError);
  });
});

describe("pooled two-proportion z-test", () => {
  it.each(expected.two_proportion as { s1: number; n1: number; s2: number; n2: number; z: Expected; p: Expected }[])(
    "$s1/$n1 against $s2/$n2",
    (c) => {
      const result = twoProportionTest(c.s1, c.n1, c.s2, c.n2);
      expectClose(result.z, c.z, "z");
      expectClose(result.pValue, c.p, "p");
    },
  );

  it("refuses an empty sample or impossible counts", () => {
    expect(() => twoProportionTest(0, 0, 1, 2)).toThrow(RangeError);
    expect(() => twoProportionTest(3, 2, 1, 2)).toThrow(RangeError);
  });
});

describe("Wilson score interval against scipy's binomtest(...).proportion_ci(method='wilson')", () => {
  it.each(expected.wilson as { successes: number; n: number; low: number; high: number }[])("$successes of $n", (c) => {
    const interval = wilsonInterval(c.successes, c.n)!;
    expectClose(interval.low, c.low, "low");
    expectClose(interval.high, c.high, "high");
  });

  it("is null for no trials and refuses impossible counts", () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
  });
});
