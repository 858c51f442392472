import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricValidationError } from "../../../src/errors";
import { VariantComparisonService } from "../../../src/services/VariantComparisonService";
import { seed } from "./seed";
import { comparisonRecords, databaseStatistics, expectComparison, secondsBeforeNow } from "./statistics-fixtures";

describe("compareVariants on SQLite, against scipy (fixtures/statistics)", () => {
  let dataSource: DataSource;
  let service: VariantComparisonService;

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, comparisonRecords());
    service = new VariantComparisonService(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it.each(databaseStatistics.comparisons.map((c) => [`${c.skill} ${c.baseline}→${c.candidate}${c.from_seconds_ago ? " in a range" : ""}`, c] as const))(
    "%s",
    async (_name, expected) => {
      const comparison = await service.compareVariants(expected.skill, {
        baseline: expected.baseline,
        candidate: expected.candidate,
        ...(expected.from_seconds_ago === undefined ? {} : { from: secondsBeforeNow(expected.from_seconds_ago) }),
        ...(expected.to_seconds_ago === undefined ? {} : { to: new Date(secondsBeforeNow(expected.to_seconds_ago)) }),
      });
      expectComparison(comparison, expected);
    },
  );

  it("verdicts: a faster candidate is better on duration, and overall when nothing is worse", async () => {
    const comparison = await service.compareVariants("cmp_large", { baseline: "A", candidate: "B" });
    expect(comparison.duration).toMatchObject({ significant: true, verdict: "better", test: "mann-whitney-u", statistic: "median" });
    expect(comparison.duration.difference).toBe(comparison.duration.candidate.value! - comparison.duration.baseline.value!);
    expect(comparison.duration.relativeChange).toBeCloseTo(comparison.duration.difference! / comparison.duration.baseline.value!, 15);
    expect(comparison.successRate).toMatchObject({ significant: false, verdict: "no significant difference" });
    expect(comparison.cost).toMatchObject({ significant: false, verdict: "no significant difference" });
    expect(comparison.verdict).toBe("better");
    // The other way round the same data is worse.
    const reverse = await service.compareVariants("cmp_large", { baseline: "B", candidate: "A" });
    expect(reverse.duration.verdict).toBe("worse");
    expect(reverse.verdict).toBe("worse");
    // A stricter alpha than the p-value: nothing is significant.
    const strict = await service.compareVariants("cmp_large", { baseline: "A", candidate: "B", alpha: comparison.duration.pValue! / 2 });
    expect(strict.verdict).toBe("no significant difference");
  });

  it("identical variants: p = 1 for durations, undefined tests are null and not significant", async () => {
    const comparison = await service.compareVariants("cmp_equal", { baseline: "A", candidate: "B" });
    expect(comparison.duration.pValue).toBe(1);
    expect(comparison.successRate).toMatchObject({ testStatistic: null, pValue: null, significant: false });
    expect(comparison.cost).toMatchObject({ testStatistic: null, pValue: null, significant: false, relativeChange: 0 });
    expect(comparison.verdict).toBe("no significant difference");
  });

  it("a variant without executions is a MetricValidationError naming it (rule hasExecutions)", async () => {
    const error = await service.compareVariants("cmp_empty", { baseline: "A", candidate: "B" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).issues).toEqual([expect.objectContaining({ field: "candidate", rule: "hasExecutions" })]);
    const outside = await service
      .compareVariants("cmp_large", { baseline: "A", candidate: "B", from: secondsBeforeNow(0) })
      .catch((e: unknown) => e);
    expect((outside as MetricValidationError).issues.map((i) => i.field)).toEqual(["baseline", "candidate"]);
  });

  it.each<[string, object, string]>([
    ["a missing baseline", { candidate: "B" }, "baseline"],
    ["the same variant twice", { baseline: "A", candidate: "A" }, "candidate"],
    ["alpha of 0", { baseline: "A", candidate: "B", alpha: 0 }, "alpha"],
    ["alpha of 1", { baseline: "A", candidate: "B", alpha: 1 }, "alpha"],
    ["a bad from", { baseline: "A", candidate: "B", from: "yesterday" }, "from"],
  ])("refuses %s naming the option", async (_name, options, field) => {
    const error = await service.compareVariants("cmp_small", options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe(field);
  });

  it("lists a skill's variants, most executions first", async () => {
    expect(await service.listVariants("cmp_large")).toEqual([
      { variant: "A", executions: 1500 },
      { variant: "B", executions: 1200 },
      { variant: "C", executions: 40 },
    ]);
    expect(await service.listVariants("no-such-skill")).toEqual([]);
  });
});
