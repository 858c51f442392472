import type { DataSource } from "typeorm";
import { ReportService } from "../../../src/report/ReportService";
import { VariantComparisonService } from "../../../src/services/VariantComparisonService";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { seed } from "../services/seed";
import { comparisonRecords, databaseStatistics } from "../services/statistics-fixtures";

/** The <section class="skill"> blocks of a page, by data-skill-id. */
function sections(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<section class="skill" id="skill-\d+" data-skill-id="([^"]*)">([\s\S]*?)<\/section>/g)].map((m) => [m[1], m[2]]));
}

/** The cells of the rows of every variants table of a section. */
function variantTables(section: string): string[][][] {
  return [...section.matchAll(/<table class="variants">[\s\S]*?<tbody>([\s\S]*?)<\/tbody><\/table>/g)].map((table) =>
    [...table[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1])),
  );
}

describe("the report's variants comparison", () => {
  let dataSource: DataSource;
  let report: ReportService;
  const now = new Date(databaseStatistics.now);

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, comparisonRecords());
    report = new ReportService(dataSource, { clock: () => now, profileOptions: { clock: () => now } });
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("compares each variant with the one with the most executions, with compareVariants' numbers", async () => {
    const large = sections(await report.render()).get("cmp_large")!;
    expect(large).toContain("<h3>Variants</h3>");
    expect(large).toContain("Variant “B” against “A” (the variant with the most executions), two-sided tests at 0.05: <strong>better</strong>.");
    expect(large).toContain("Variant “C” against “A”");
    const [b, c] = variantTables(large);
    const expected = await new VariantComparisonService(dataSource).compareVariants("cmp_large", { baseline: "A", candidate: "B" });
    expect(b[0]).toEqual([
      "median duration (ms), Mann-Whitney U",
      expected.duration.baseline.value!.toFixed(1),
      "1500",
      expected.duration.candidate.value!.toFixed(1),
      "1200",
      `${(expected.duration.relativeChange! * 100).toFixed(1)}%`,
      expected.duration.pValue!.toExponential(2),
      "better",
    ]);
    expect(b.map((row) => row[7])).toEqual(["better", "no significant difference", "no significant difference"]);
    expect(c.map((row) => row[2])).toEqual(["1500", "1500", "1500"]);
  });

  it("a skill with one variant, or none, has no variants part; the range applies", async () => {
    const page = sections(await report.render());
    expect(page.get("cmp_empty")).not.toContain("<h3>Variants</h3>");
    // Only the last 10 seconds of the fixtures' executions: too few variants anywhere.
    const narrow = sections(await report.render({ from: new Date(now.getTime() - 10_000) }));
    for (const section of narrow.values()) expect(section).not.toContain("<h3>Variants</h3>");
  });
});
