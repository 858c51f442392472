import {
  interpolate,
  isLowerBy,
  meanOrNull,
  percentilePosition,
  sampleStddev,
  successRateTrend,
  sumSquaredDeviationsFromSums,
  twoProportionZ,
} from "../../../src/services/statistics";

/** The definition applied to an in-memory array, to check the rank arithmetic against numpy's known answers. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const { lo, hi, fraction } = percentilePosition(sorted.length, p);
  return lo === hi ? sorted[lo] : interpolate(sorted[lo], sorted[hi], fraction);
}

describe("statistics definitions", () => {
  it("percentiles match numpy.percentile (linear) on known values", () => {
    // np.percentile([1, 2, 3, 4], [50, 95, 99]) = [2.5, 3.85, 3.97]
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 14);
    expect(percentile([1, 2, 3, 4], 0.99)).toBeCloseTo(3.97, 14);
    // np.percentile(range(1, 101), 95) = 95.05; one value is itself at every percentile.
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.95)).toBeCloseTo(95.05, 12);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentilePosition(5, 1)).toEqual({ lo: 4, hi: 4, fraction: 0 });
  });

  it("refuses impossible percentile questions", () => {
    expect(() => percentilePosition(0, 0.5)).toThrow(RangeError);
    expect(() => percentilePosition(3, 1.5)).toThrow(RangeError);
  });

  it("sample stddev: n − 1, 0 for one value, null for none", () => {
    // np.std([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) = 2.138089935299395; squared deviations about 5 sum to 32.
    expect(sampleStddev(32, 8)).toBeCloseTo(2.138089935299395, 14);
    expect(sampleStddev(0, 1)).toBe(0);
    expect(sampleStddev(0, 0)).toBeNull();
  });

  it("means of nothing are null, not NaN or 0", () => {
    expect(meanOrNull(null, 0)).toBeNull();
    expect(meanOrNull(0, 0)).toBeNull();
    expect(meanOrNull(3, 2)).toBe(1.5);
  });

  it("two-proportion z-test at 0.05, two-sided", () => {
    // 20/20 vs 10/20: pooled 0.75, se = sqrt(0.75·0.25·0.1) = 0.1369…, z = 3.651…
    expect(twoProportionZ(20, 20, 10, 20)).toBeCloseTo(3.6514837167011076, 12);
    expect(successRateTrend(20, 20, 10, 20)).toBe("up");
    expect(successRateTrend(10, 20, 20, 20)).toBe("down");
    expect(successRateTrend(18, 20, 16, 20)).toBe("stable");
    expect(twoProportionZ(5, 5, 5, 5)).toBeNull();
    expect(successRateTrend(5, 5, 5, 5)).toBe("stable");
    // |z| just under 1.96 is stable: 40/50 vs 31/50 gives z ≈ 1.98 (up); 39/50 vs 31/50 gives z ≈ 1.77 (stable).
    expect(successRateTrend(40, 50, 31, 50)).toBe("up");
    expect(successRateTrend(39, 50, 31, 50)).toBe("stable");
  });

  it("lower by more than the threshold", () => {
    expect(isLowerBy(89, 100, 0.1)).toBe(true);
    expect(isLowerBy(90, 100, 0.1)).toBe(false);
    expect(isLowerBy(0, 0, 0.1)).toBe(false);
  });
});

describe("sumSquaredDeviationsFromSums (the one-pass route of the standard deviation)", () => {
  const twoPass = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  };
  const sums = (xs: number[]) => [xs.length, xs.reduce((a, b) => a + b, 0), xs.reduce((a, x) => a + x * x, 0)] as const;

  it("agrees with the two-pass sum to 1e-12 relative on well-conditioned durations", () => {
    const xs = Array.from({ length: 5000 }, (_unused, i) => 20 + ((i * 7919) % 1000) / 7);
    const [n, sum, sumSq] = sums(xs);
    const fromSums = sumSquaredDeviationsFromSums(n, sum, sumSq);
    expect(fromSums).not.toBeNull();
    expect(Math.abs((fromSums as number) - twoPass(xs)) / twoPass(xs)).toBeLessThan(1e-12);
  });

  it("declines (null) when cancellation would eat the digits: values clustered far from zero, or identical", () => {
    const clustered = Array.from({ length: 1000 }, (_unused, i) => 1e6 + (i % 10) * 1e-3);
    expect(sumSquaredDeviationsFromSums(...sums(clustered))).toBeNull();
    expect(sumSquaredDeviationsFromSums(...sums([42, 42, 42]))).toBeNull();
  });

  it("gives 0 for a single value", () => {
    expect(sumSquaredDeviationsFromSums(1, 5, 25)).toBe(0);
  });
});
