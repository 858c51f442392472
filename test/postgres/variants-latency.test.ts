import { ExecutionMetricsCollector } from "../../src/ExecutionMetricsCollector";
import { setDefaultSink } from "../../src/tracking/default-sink";
import { track } from "../../src/tracking/track";
import { createPgDatabase, describePg, type PgTestDatabase } from "./pg-database";

/** Far above any duration a test call can take: a call is always within it. */
const GENEROUS = 3_600_000;

/**
 * Variants, experiments and latency budgets through a collector on PostgreSQL (the writer thread's insert):
 * booleans stored as true, false and null (no budget), and the profile's rate computed there.
 */
describePg("variants and latency budgets (PostgreSQL by URL)", () => {
  let database: PgTestDatabase;
  let collector: ExecutionMetricsCollector | undefined;

  beforeEach(async () => {
    database = await createPgDatabase("variants_latency");
  });

  afterEach(async () => {
    await collector?.shutdown();
    collector = undefined;
    setDefaultSink(null);
    await database.drop();
  });

  it("stores variant, experiment_id and latency_acceptable (true, false, null) and the profile's latency_acceptable_rate", async () => {
    const problems: unknown[] = [];
    collector = await ExecutionMetricsCollector.create({
      url: database.url,
      spillPath: null,
      writeTimeoutMillis: 60_000,
      latencyBudgetMillisBySkill: { ranker: 1 },
      onError: (e) => problems.push(e),
    });
    track("ranker", (ctx) => ctx.setVariant("A"), { experimentId: "exp-pg", latencyBudgetMillis: GENEROUS });
    await track("ranker", () => new Promise((resolve) => setTimeout(resolve, 5)), { variant: "B" }); // the collector's 1 ms
    track("plain", () => undefined);
    await collector.flush();
    const rows = await collector.dataSource.query(
      "SELECT skill_id, variant, experiment_id, latency_acceptable FROM execution_metrics ORDER BY skill_id, variant",
    );
    expect(rows).toEqual([
      { skill_id: "plain", variant: null, experiment_id: null, latency_acceptable: null },
      { skill_id: "ranker", variant: "A", experiment_id: "exp-pg", latency_acceptable: true },
      { skill_id: "ranker", variant: "B", experiment_id: null, latency_acceptable: false },
    ]);
    expect((await collector.getSkillProfile("ranker"))?.latencyAcceptableRate).toBe(0.5);
    expect((await collector.getSkillProfile("plain"))?.latencyAcceptableRate).toBeNull();
    expect(problems).toEqual([]);
  });
});
