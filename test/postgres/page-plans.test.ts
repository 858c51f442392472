import { type MetricsQuery, MetricsQueryService } from "../../src/services/MetricsQueryService";
import { createMigratedPgDatabase, describePg } from "./pg-database";

const ROWS = 60_000;
const T0 = "2026-01-01T00:00:00.000Z";

/**
 * 60,000 executions made in SQL (100 skills, one a minute, 15% failures spread over categories, 30% tagged
 * "nightly"), then ANALYZE: with real statistics the planner's choice is the one a user's database gets, so the
 * test reads the plan PostgreSQL really picks (nothing is forced with enable_* settings).
 */
const SEED = `INSERT INTO execution_metrics (execution_id, skill_id, job_id, started_at, completed_at, total_duration_ms,
    status, error_occurred, error_category, environment, warnings, tags)
  SELECT md5(i::text)::uuid::text, 'skill_' || (i % 100), CASE WHEN i % 50 = 0 THEN 'job-' || (i % 7) END,
    to_char(timestamp '${T0.slice(0, 19)}' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    to_char(timestamp '${T0.slice(0, 19)}' + i * interval '1 minute' + interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    1000 + i % 997,
    CASE WHEN i % 20 < 3 THEN 'failure' WHEN i % 20 = 3 THEN 'timeout' ELSE 'success' END,
    i % 20 < 4,
    CASE WHEN i % 20 < 2 THEN 'api_error' WHEN i % 20 = 2 THEN 'input_validation' WHEN i % 20 = 3 THEN 'timeout' END,
    CASE WHEN i % 3 = 0 THEN 'prod' ELSE 'staging' END,
    '[]',
    CASE WHEN i % 10 < 3 THEN '["nightly"]' WHEN i % 10 = 3 THEN '["nightly","gpu"]' ELSE '[]' END
  FROM generate_series(1, ${ROWS}) AS i`;

describePg("getMetrics plans on PostgreSQL: page-ordered index walks, no sort", () => {
  let db: Awaited<ReturnType<typeof createMigratedPgDatabase>>;
  let service: MetricsQueryService;

  beforeAll(async () => {
    db = await createMigratedPgDatabase("page_plans");
    await db.dataSource.query(SEED);
    await db.dataSource.query("ANALYZE");
    service = new MetricsQueryService(db.dataSource);
  }, 120_000);

  afterAll(async () => {
    await db?.cleanup();
  });

  const mid = new Date(Date.parse(T0) + (ROWS / 2) * 60_000).toISOString();
  const end = new Date(Date.parse(T0) + (ROWS / 2 + 600) * 60_000).toISOString();
  const filters: [string, MetricsQuery, RegExp][] = [
    ["no filter", {}, /idx_execution_metrics_started\b/i],
    ["skillId", { skillId: "skill_7" }, /idx_execution_metrics_skill_started/i],
    ["from/to", { from: mid, to: end }, /idx_execution_metrics_started\b/i],
    ["status", { status: "failure" }, /idx_execution_metrics_status_started/i],
    ["errorCategory", { errorCategory: "api_error" }, /idx_execution_metrics_error_category/i],
    ["environment", { environment: "prod" }, /idx_execution_metrics_environment_started/i],
    ["jobId", { jobId: "job-3" }, /idx_execution_metrics_job_started/i],
    ["tags", { tags: ["nightly"] }, /idx_execution_tags_tag_started/i],
    ["tags (all)", { tags: ["nightly", "gpu"] }, /idx_execution_tags_tag_started/i],
  ];
  const cases = filters.flatMap(([name, query, index]) =>
    (["desc", "asc"] as const).map((order) => [`${name}, ${order}`, { ...query, order }, index] as const),
  );

  it.each(cases)("%s", async (_name, query, index) => {
    const cursor = (await service.getMetrics({ ...query, limit: 1 })).nextCursor;
    expect(cursor).not.toBeNull();
    for (const q of [query, { ...query, after: cursor! }]) {
      const plan = (await service.explainMetrics(q)).join("\n");
      // A Sort node above the scan means every matching row is read before the first is returned.
      expect(plan).not.toMatch(/\bSort\b/);
      expect(plan).not.toMatch(/Seq Scan on execution_metrics/);
      expect(plan).toMatch(index);
    }
  });
});
