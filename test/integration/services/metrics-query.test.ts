import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { MetricValidationError } from "../../../src/errors";
import { type MetricsQuery, MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { at, finished, seed } from "./seed";

const T0 = "2026-03-01T00:00:00.000Z";
const STATUSES = ["success", "failure", "timeout", "success"] as const;

/** 60 executions over 12 distinct instants (5 share each), spread over skills, environments, jobs and tags. */
function records(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    const status = STATUSES[i % 4];
    out.push(
      finished(`skill_${i % 3}`, at(T0, Math.floor(i / 5) * 60_000), 10 + i, {
        status,
        environment: i % 2 === 0 ? "prod" : "test",
        job_id: i % 6 === 0 ? "job-a" : i % 6 === 1 ? "job-b" : null,
        tags: i % 4 === 0 ? ["x", "y"] : i % 4 === 1 ? ["x"] : i % 4 === 2 ? ["y", "y"] : [],
        error_category: status === "failure" ? (i % 3 === 0 ? "api_error" : null) : status === "timeout" ? "timeout" : null,
      }),
    );
  }
  out.push({ skill_id: "skill_0", started_at: at(T0, 30_000), status: "running" });
  return out;
}

/** The ordering getMetrics promises: (started_at, execution_id), newest first by default. */
function ordered(rows: ExecutionMetricRow[], order: "asc" | "desc" = "desc"): string[] {
  const sorted = [...rows].sort((a, b) =>
    a.started_at === b.started_at
      ? a.execution_id < b.execution_id ? -1 : 1
      : a.started_at < b.started_at ? -1 : 1,
  );
  if (order === "desc") sorted.reverse();
  return sorted.map((r) => r.execution_id);
}

async function allPages(service: MetricsQueryService, query: MetricsQuery): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await service.getMetrics({ ...query, after });
    pages.push(page.items.map((m) => m.executionId));
    if (page.nextCursor === null) return pages;
    after = page.nextCursor;
  }
}

describe("MetricsQueryService.getMetrics", () => {
  let dataSource: DataSource;
  let service: MetricsQueryService;
  let rows: ExecutionMetricRow[];

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    rows = await seed(dataSource, records());
    service = new MetricsQueryService(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  const cases: [string, MetricsQuery, (r: ExecutionMetricRow) => boolean][] = [
    ["no filter", {}, () => true],
    ["skillId", { skillId: "skill_1" }, (r) => r.skill_id === "skill_1"],
    ["from (inclusive)", { from: at(T0, 300_000) }, (r) => r.started_at >= at(T0, 300_000)],
    ["to (exclusive)", { to: new Date(at(T0, 300_000)) }, (r) => r.started_at < at(T0, 300_000)],
    [
      "from + to with an offset zone",
      { from: "2026-03-01T01:02:00.000+01:00", to: at(T0, 240_000) },
      (r) => r.started_at >= at(T0, 120_000) && r.started_at < at(T0, 240_000),
    ],
    ["status", { status: "timeout" }, (r) => r.status === "timeout"],
    ["status list", { status: ["failure", "running"] }, (r) => r.status === "failure" || r.status === "running"],
    ["environment", { environment: "test" }, (r) => r.environment === "test"],
    ["jobId", { jobId: "job-b" }, (r) => r.job_id === "job-b"],
    ["errorCategory", { errorCategory: "api_error" }, (r) => r.error_category === "api_error"],
    [
      'errorCategory "unknown" includes no category',
      { errorCategory: "unknown" },
      (r) => r.error_category === null || r.error_category === "unknown",
    ],
    ["tags (all)", { tags: ["x", "y"] }, (r) => r.tags.includes("x") && r.tags.includes("y")],
    ["tags (any)", { tags: ["x", "y"], tagMatch: "any" }, (r) => r.tags.includes("x") || r.tags.includes("y")],
    ["tag duplicated in a row", { tags: ["y"] }, (r) => r.tags.includes("y")],
    [
      "every filter at once",
      { skillId: "skill_0", status: "success", environment: "prod", tags: ["x"], from: T0, to: at(T0, 3_600_000) },
      (r) => r.skill_id === "skill_0" && r.status === "success" && r.environment === "prod" && r.tags.includes("x"),
    ],
  ];

  it.each(cases)("filters by %s, newest first", async (_name, query, keep) => {
    const page = await service.getMetrics({ ...query, limit: 1000 });
    const expected = ordered(rows.filter(keep));
    expect(expected.length).toBeGreaterThan(0);
    expect(page.items.map((m) => m.executionId)).toEqual(expected);
    expect(page.nextCursor).toBeNull();
  });

  it("returns entities: camelCase properties, Date timestamps, JSON arrays parsed", async () => {
    const { items } = await service.getMetrics({ tags: ["x", "y"], limit: 1 });
    expect(items[0]).toMatchObject({ tags: ["x", "y"], errorOccurred: expect.any(Boolean) });
    expect(items[0].startedAt).toBeInstanceOf(Date);
  });

  it.each(["desc", "asc"] as const)(
    "pages (%s) across equal timestamps with a cursor: every row once, in order",
    async (order) => {
      for (const limit of [1, 3, 4, 7]) {
        const pages = await allPages(service, { order, limit, skillId: undefined });
        expect(pages.flat()).toEqual(ordered(rows, order));
        expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      }
      const filtered = await allPages(service, { order, limit: 2, environment: "prod" });
      expect(filtered.flat()).toEqual(ordered(rows.filter((r) => r.environment === "prod"), order));
    },
  );

  it("an exactly full last page says there is no next page", async () => {
    const page = await service.getMetrics({ jobId: "job-a", limit: 10 });
    expect(page.items).toHaveLength(10);
    expect(page.nextCursor).toBeNull();
  });

  it("a cursor keeps working when newer rows arrive between pages", async () => {
    const first = await service.getMetrics({ skillId: "skill_2", limit: 5 });
    const more = await seed(dataSource, [finished("skill_2", at(T0, 86_400_000), 1)]);
    const rest = await allPages(service, { skillId: "skill_2", limit: 5 });
    const second = await service.getMetrics({ skillId: "skill_2", limit: 100, after: first.nextCursor! });
    const all = ordered(rows.filter((r) => r.skill_id === "skill_2"));
    expect(first.items.map((m) => m.executionId)).toEqual(all.slice(0, 5));
    expect(second.items.map((m) => m.executionId)).toEqual(all.slice(5));
    expect(rest.flat()).toEqual([more[0].execution_id, ...all]);
    await dataSource.query("DELETE FROM execution_metrics WHERE execution_id = ?", [more[0].execution_id]);
  });

  it.each<[string, MetricsQuery, string]>([
    ["limit 0", { limit: 0 }, "limit"],
    ["limit too large", { limit: 10_001 }, "limit"],
    ["fractional limit", { limit: 2.5 }, "limit"],
    ["unknown status", { status: "done" as never }, "status"],
    ["empty status list", { status: [] }, "status"],
    ["date without zone", { from: "2026-03-01T00:00:00" }, "from"],
    ["invalid Date", { to: new Date("nope") }, "to"],
    // Issue 16: Date objects get the same 0000-9999 UTC range check as text.
    ["Date past year 9999 UTC", { to: new Date(253402300800000) }, "to"],
    ["Date before year 0000", { from: new Date(-62167219200001) }, "from"],
    ["offset carrying past year 9999", { to: "9999-12-31T23:59:59-01:00" }, "to"],
    ["day that does not exist", { from: "2026-02-30T00:00:00Z" }, "from"],
    ["order", { order: "newest" as never }, "order"],
    ["empty tags", { tags: [] }, "tags"],
    ["tagMatch", { tags: ["x"], tagMatch: "some" as never }, "tagMatch"],
    ["empty skillId", { skillId: "" }, "skillId"],
    ["garbage cursor", { after: "not-a-cursor" }, "after"],
  ])("refuses %s with a MetricValidationError naming the option", async (_name, query, field) => {
    const error = await service.getMetrics(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe(field);
  });

  it("refuses a cursor used with the other order", async () => {
    const { nextCursor } = await service.getMetrics({ limit: 2 });
    const error = await service.getMetrics({ limit: 2, order: "asc", after: nextCursor! }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).message).toMatch(/order/);
  });

  describe("EXPLAIN QUERY PLAN: every filter walks an index in page order, with no sort", () => {
    const cursorQuery = async (query: MetricsQuery) => ({
      ...query,
      after: (await service.getMetrics({ ...query, limit: 1 })).nextCursor!,
    });
    const T1 = at(T0, 5 * 60_000);
    // Each filter and the index whose range, already in (started_at, execution_id) order, serves its page.
    const filters: [string, MetricsQuery, RegExp][] = [
      ["no filter", {}, /IDX_execution_metrics_started\b/],
      ["skillId", { skillId: "skill_1" }, /IDX_execution_metrics_skill_started/],
      ["from/to", { from: T0, to: T1 }, /IDX_execution_metrics_started\b/],
      ["from only", { from: T0 }, /IDX_execution_metrics_started\b/],
      ["skillId + from/to", { skillId: "skill_1", from: T0, to: T1 }, /IDX_execution_metrics_skill_started/],
      ["status", { status: "failure" }, /IDX_execution_metrics_status_started/],
      ["status + from/to", { status: "failure", from: T0, to: T1 }, /IDX_execution_metrics_status_started/],
      ["several statuses", { status: ["failure", "timeout"] }, /IDX_execution_metrics_started\b/],
      ["environment", { environment: "prod" }, /IDX_execution_metrics_environment_started/],
      ["jobId", { jobId: "job-a" }, /IDX_execution_metrics_job_started/],
      ["errorCategory", { errorCategory: "api_error" }, /IDX_execution_metrics_error_category/],
      ["errorCategory unknown", { errorCategory: "unknown" }, /IDX_execution_metrics_started\b/],
      ["tags (one)", { tags: ["x"] }, /IDX_execution_tags_tag_started/],
      ["tags (all)", { tags: ["x", "y"] }, /IDX_execution_tags_tag_started/],
      ["tags (any of one)", { tags: ["x"], tagMatch: "any" }, /IDX_execution_tags_tag_started/],
      ["tags (any)", { tags: ["x", "y"], tagMatch: "any" }, /IDX_execution_metrics_started\b/],
      ["tags + from/to", { tags: ["x"], from: T0, to: T1 }, /IDX_execution_tags_tag_started/],
      ["skillId + status", { skillId: "skill_1", status: "failure" }, /IDX_execution_metrics_(skill|status)_started/],
      ["skillId + tags", { skillId: "skill_1", tags: ["x"] }, /IDX_execution_tags_tag_started/],
      ["status + environment + jobId", { status: "success", environment: "prod", jobId: "job-a" }, /_started\b/],
    ];
    const cases = filters.flatMap(([name, query, index]) =>
      (["desc", "asc"] as const).map((order) => [`${name}, ${order}`, { ...query, order }, index] as const),
    );

    it.each(cases)("%s", async (_name, query, index) => {
      for (const q of [query, await cursorQuery(query)]) {
        const plan = (await service.explainMetrics(q)).join("\n");
        // A sort reads every matching row before the first is returned: the cost the indexes exist to avoid.
        expect(plan).not.toMatch(/TEMP B-TREE/);
        // Neither a scan of the table without an index.
        expect(plan).not.toMatch(/^SCAN (m|execution_metrics)\b(?!.*USING)/m);
        expect(plan).toMatch(index);
      }
    });
  });
});
