import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { recordDemoHistory } from "../../../src/demo/demo-history";
import { highlightSkills } from "../../../src/report/highlight-rules";

/**
 * The demo's backfilled history (src/demo/demo-history.ts): the same seed and clock give the same rows, byte
 * for byte, and the stories it tells show in the profiles (trends and highlights) without any live call.
 */
describe("the demo's history", () => {
  let dir: string;
  const now = Date.now();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-demo-history-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function history(name: string, seed: number) {
    const metrics = await ExecutionMetricsCollector.create({ database: join(dir, `${name}.db`), setAsDefault: false });
    try {
      const recorded = recordDemoHistory(metrics, { now, days: 28, seed });
      await metrics.flush();
      await metrics.exportCsv(join(dir, `${name}.csv`));
      return { recorded, profiles: await metrics.getSkillProfiles() };
    } finally {
      await metrics.shutdown();
    }
  }

  it("is deterministic: the same seed and clock record the same executions, a different seed others", async () => {
    const a = await history("a", 7);
    const b = await history("b", 7);
    const c = await history("c", 8);
    expect(a.recorded).toBe(b.recorded);
    expect(readFileSync(join(dir, "a.csv")).equals(readFileSync(join(dir, "b.csv")))).toBe(true);
    expect(readFileSync(join(dir, "a.csv")).equals(readFileSync(join(dir, "c.csv")))).toBe(false);
    const lines = readFileSync(join(dir, "a.csv"), "utf8").trimEnd().split("\r\n");
    expect(lines).toHaveLength(a.recorded + 1);
    // four weeks, all of it in the past
    const started = lines.slice(1).map((line) => Date.parse(line.split(",")[5]));
    expect(Math.min(...started)).toBeGreaterThanOrEqual(now - 28 * 86_400_000);
    expect(Math.max(...started)).toBeLessThan(now);
  });

  it("tells its stories: faster, cheaper, a falling success rate, a failing skill and a slow one", async () => {
    const { profiles } = await history("stories", 42);
    const profile = (skill: string) => profiles.find((p) => p.skillId === skill)!;
    expect(profiles.map((p) => p.skillId)).toEqual(["csv_reader", "json_writer", "llm_summarize", "report_pipeline", "web_search"]);
    for (const p of profiles) expect(p.successRateTrend).not.toBeNull(); // every trend computed (not "—")
    expect(profile("web_search").gettingFaster).toBe(true);
    expect(profile("llm_summarize").gettingCheaper).toBe(true);
    expect(profile("csv_reader").successRateTrend).toBe("down");
    expect(profile("json_writer")).toMatchObject({ gettingFaster: false, gettingCheaper: false, successRateTrend: "stable", successRate: 1 });
    const highlights = highlightSkills(profiles);
    expect(highlights.get("llm_summarize")?.failing).toBe(true);
    expect(highlights.get("report_pipeline")?.slow).toBe(true);
    expect(profile("report_pipeline").totalExecutions).toBeGreaterThan(250);
  });
});
