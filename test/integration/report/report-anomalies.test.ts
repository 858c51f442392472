import type { DataSource } from "typeorm";
import { ReportService } from "../../../src/report/ReportService";
import { AnomalyService } from "../../../src/services/AnomalyService";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { at, DAY, finished, seed } from "../services/seed";

/** The <section class="skill"> blocks of a page, by data-skill-id. */
function sections(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<section class="skill" id="skill-\d+" data-skill-id="([^"]*)">([\s\S]*?)<\/section>/g)].map((m) => [m[1], m[2]]));
}

/** The cells of the rows of a section's anomalies table. */
function anomalyRows(section: string): string[][] {
  const table = /<table class="anomalies">[\s\S]*?<tbody>([\s\S]*?)<\/tbody><\/table>/.exec(section);
  if (table === null) return [];
  return [...table[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
}

const T0 = "2026-06-01T00:00:00.000Z";
const NOW = new Date(Date.parse(T0) + 30 * DAY);

describe("the report's anomalies section", () => {
  let dataSource: DataSource;
  let report: ReportService;
  const marked: string[] = [];

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    // "flaky" has 7 executions over 7 days, each marked; "calm" has executions and no anomaly.
    const rows = await seed(dataSource, [
      ...[0, 1, 2, 3, 4, 5, 6].map((day) => finished("flaky", at(T0, day * DAY), 100 + day)),
      finished("calm", at(T0, DAY), 50),
    ]);
    const anomalies = new AnomalyService(dataSource, () => NOW);
    for (const [day, row] of rows.filter((r) => r.skill_id === "flaky").entries()) {
      marked.push(await anomalies.markAnomaly(row.execution_id, { detector: "zscore", kind: "slow <&>", score: day + 0.5, severity: day === 6 ? "critical" : undefined }));
    }
    await anomalies.resolveAnomaly(marked[6], { resolution: "fixed" });
    report = new ReportService(dataSource, { clock: () => NOW, profileOptions: { clock: () => NOW } });
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("shows a skill's anomaly counts and its 5 newest anomalies (escaped); a skill without anomalies has no such part", async () => {
    const page = sections(await report.render());
    const flaky = page.get("flaky")!;
    expect(flaky).toContain("<h3>Anomalies</h3>");
    expect(flaky).toContain("6 open, 1 resolved in this range; the newest 5.");
    const rows = anomalyRows(flaky);
    expect(rows.map((r) => r[0])).toEqual([6, 5, 4, 3, 2].map((day) => at(T0, day * DAY)));
    expect(rows[0]).toEqual([at(T0, 6 * DAY), "zscore", "slow &#60;&#38;&#62;", "critical", "6.5", "resolved: fixed", expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    expect(rows[1].slice(3, 6)).toEqual(["—", "5.5", "open"]);
    expect(page.get("calm")).toBeDefined();
    expect(page.get("calm")).not.toContain("Anomalies");
  });

  it("counts and lists only anomalies of executions started in the report's [from, to)", async () => {
    const page = sections(await report.render({ from: at(T0, DAY), to: at(T0, 3 * DAY) }));
    const flaky = page.get("flaky")!;
    expect(flaky).toContain("2 open, 0 resolved in this range.");
    expect(anomalyRows(flaky).map((r) => r[0])).toEqual([at(T0, 2 * DAY), at(T0, DAY)]);
    const none = sections(await report.render({ from: at(T0, 20 * DAY) }));
    expect(none.get("flaky")).not.toContain("Anomalies");
  });
});
