import type { ExecutionMetricRow } from "../../src/model/execution-metric-columns";
import { MetricValidationError, NotFoundError } from "../../src/errors";
import { type MetricsQuery, MetricsQueryService } from "../../src/services/MetricsQueryService";
import { ProfileService } from "../../src/services/ProfileService";
import { validateMetricRecord } from "../../src/validation/validate-record";
import { uuidv7 } from "../../src/tracking/uuid-v7";
import { at, DAY, finished } from "../integration/services/seed";
import { describePg } from "./pg-database";
import { createTwinDatabases, expectCloseDeep, type TwinDatabases } from "./twin-databases";

const T0 = "2026-03-01T00:00:00.000Z";
const STATUSES = ["success", "failure", "timeout", "success"] as const;
const MESSAGES = ["boom", "Boom", "b-oom", "a_b", null, "ab"];

/** 90 executions over 18 instants (5 share each), across skills, environments, jobs, tags, categories, messages. */
function records(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 90; i++) {
    const status = STATUSES[i % 4];
    const failed = status !== "success";
    out.push(
      finished(`skill_${i % 3}`, at(T0, Math.floor(i / 5) * 60_000), 10 + ((i * 7) % 23), {
        status,
        environment: i % 2 === 0 ? "prod" : "test",
        job_id: i % 6 === 0 ? "job-a" : i % 6 === 1 ? "job-b" : null,
        tags: i % 4 === 0 ? ["x", "y"] : i % 4 === 1 ? ["x"] : i % 4 === 2 ? ["y", "y"] : [],
        error_category: failed ? (i % 3 === 0 ? "api_error" : i % 5 === 0 ? null : "timeout") : null,
        error_message: failed ? MESSAGES[i % MESSAGES.length] : null,
      }),
    );
  }
  out.push({ skill_id: "skill_0", started_at: at(T0, 30_000), status: "running" });
  return out;
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

/** The order getMetrics promises: (started_at, execution_id) as bytes. */
function ordered(rows: ExecutionMetricRow[], order: "asc" | "desc"): string[] {
  const sorted = [...rows].sort((a, b) =>
    a.started_at === b.started_at ? (a.execution_id < b.execution_id ? -1 : 1) : a.started_at < b.started_at ? -1 : 1,
  );
  if (order === "desc") sorted.reverse();
  return sorted.map((r) => r.execution_id);
}

describePg("MetricsQueryService", () => {
  let twins: TwinDatabases;
  let rows: ExecutionMetricRow[];
  let pg: MetricsQueryService;
  let sqlite: MetricsQueryService;

  beforeAll(async () => {
    rows = records().map((r) => validateMetricRecord(r, { generateId: true }));
    twins = await createTwinDatabases("queries", rows);
    pg = new MetricsQueryService(twins.pg);
    sqlite = new MetricsQueryService(twins.sqlite);
  });

  afterAll(async () => {
    await twins?.cleanup();
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
    ["status list", { status: ["failure", "running"] }, (r) => r.status === "failure" || r.status === "running"],
    ["environment", { environment: "test" }, (r) => r.environment === "test"],
    ["jobId", { jobId: "job-b" }, (r) => r.job_id === "job-b"],
    ["tags (all)", { tags: ["x", "y"] }, (r) => r.tags.includes("x") && r.tags.includes("y")],
    ["tags (any)", { tags: ["y", "x"], tagMatch: "any" }, (r) => r.tags.includes("x") || r.tags.includes("y")],
    ["errorCategory", { errorCategory: "api_error" }, (r) => r.error_category === "api_error"],
    [
      "errorCategory unknown",
      { errorCategory: "unknown" },
      (r) => r.error_category === "unknown" || r.error_category === null,
    ],
    [
      "combined",
      { skillId: "skill_0", environment: "prod", status: ["success", "failure"], from: at(T0, 60_000) },
      (r) =>
        r.skill_id === "skill_0" &&
        r.environment === "prod" &&
        (r.status === "success" || r.status === "failure") &&
        r.started_at >= at(T0, 60_000),
    ],
  ];

  it.each(cases)("%s: every page as on SQLite, all matching rows once, in (started_at, id) order", async (_name, query, keep) => {
    for (const order of ["desc", "asc"] as const) {
      const pagesPg = await allPages(pg, { ...query, order, limit: 7 });
      expect(pagesPg).toEqual(await allPages(sqlite, { ...query, order, limit: 7 }));
      expect(pagesPg.flat()).toEqual(ordered(rows.filter(keep), order));
    }
  });

  it("returns entities with camelCase properties, Date timestamps and parsed arrays, equal to SQLite's", async () => {
    const [a] = (await pg.getMetrics({ tags: ["x", "y"], limit: 1 })).items;
    const [b] = (await sqlite.getMetrics({ tags: ["x", "y"], limit: 1 })).items;
    expect(a.startedAt).toBeInstanceOf(Date);
    expect(a.tags).toEqual(["x", "y"]);
    expect(typeof a.errorOccurred).toBe("boolean");
    expectCloseDeep({ ...a }, { ...b });
  });

  it("refuses bad filters with the field named", async () => {
    await expect(pg.getMetrics({ from: "yesterday" })).rejects.toBeInstanceOf(MetricValidationError);
    await expect(pg.getMetrics({ after: "not-a-cursor" })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: "after" })] });
  });

  it("getErrorAnalysis: the same groups as SQLite, ties broken in byte order of the key", async () => {
    for (const skillId of ["skill_0", "skill_1", "skill_2", "missing"]) {
      for (const options of [{}, { limit: 2 }, { from: at(T0, 120_000), to: at(T0, 600_000) }]) {
        const a = await pg.getErrorAnalysis(skillId, options);
        const b = await sqlite.getErrorAnalysis(skillId, options);
        expectCloseDeep(a, b, `${skillId} ${JSON.stringify(options)}`);
      }
    }
    const analysis = await pg.getErrorAnalysis("skill_1");
    expect(analysis.totalFailures).toBeGreaterThan(0);
    expect(analysis.byMessage.map((g) => g.key)).toContain(null);
  });

  it("getErrorAnalysis: equal counts and times are ordered by key in byte order, as on SQLite", async () => {
    const t = "2026-04-01T00:00:00.000Z";
    const keys = ["ab", "a-b", "aa", "B", "a_z", "Ab"];
    await twins.insert(
      keys.map((k) =>
        validateMetricRecord(finished("ties", t, 5, { status: "failure", error_message: k, error_category: k }), {
          generateId: true,
        }),
      ),
    );
    const bytewise = [...keys].sort((a, b) => (a < b ? -1 : 1));
    const a = await pg.getErrorAnalysis("ties");
    expect(a.byMessage.map((g) => g.key)).toEqual(bytewise);
    expect(a.byCategory.map((g) => g.key)).toEqual(bytewise);
    expectCloseDeep(a, await sqlite.getErrorAnalysis("ties"));
  });

  it("getBaseline: the same numbers as SQLite", async () => {
    for (const skillId of ["skill_0", "skill_1", "missing"]) {
      const options = { windowMillis: DAY, now: new Date(at(T0, 600_000)) };
      expectCloseDeep(await pg.getBaseline(skillId, options), await sqlite.getBaseline(skillId, options), skillId);
    }
    expect((await pg.getBaseline("skill_0", { windowMillis: DAY, now: new Date(at(T0, DAY)) })).count).toBeGreaterThan(0);
  });
});

describePg("feedback on PostgreSQL", () => {
  let twins: TwinDatabases;
  let service: MetricsQueryService;
  let rows: ExecutionMetricRow[];

  beforeAll(async () => {
    rows = [10, 20, 30].map((d, i) => validateMetricRecord(finished("fb", at(T0, i * 1000), d), { generateId: true }));
    twins = await createTwinDatabases("feedback", rows);
    service = new MetricsQueryService(twins.pg);
  });

  afterAll(async () => {
    await twins?.cleanup();
  });

  it("stores the values, sets user_feedback_received, and drops the stored profile (trigger)", async () => {
    const profiles = new ProfileService(twins.pg);
    expect((await profiles.getSkillProfile("fb"))!.totalFeedbackResponses).toBe(0);
    const updated = await service.recordFeedback(rows[0].execution_id, {
      userSatisfaction: 4,
      correctnessScore: 0.75,
      notes: "=fine",
    });
    expect(updated).toMatchObject({ userFeedbackReceived: true, userSatisfaction: 4, correctnessScore: 0.75, notes: "=fine" });
    expect(await twins.pg.query(`SELECT skill_id FROM skill_profiles`)).toEqual([]);
    const profile = (await profiles.getSkillProfile("fb"))!;
    expect(profile).toMatchObject({ totalFeedbackResponses: 1, meanUserSatisfaction: 4, meanCorrectnessScore: 0.75 });
  });

  it("null clears a value; an unknown id is a NotFoundError; a bad value a MetricValidationError", async () => {
    const cleared = await service.recordFeedback(rows[0].execution_id, { userSatisfaction: null });
    expect(cleared.userSatisfaction).toBeNull();
    await expect(service.recordFeedback(uuidv7(), { userSatisfaction: 3 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.recordFeedback(rows[1].execution_id, { userSatisfaction: 6 })).rejects.toBeInstanceOf(
      MetricValidationError,
    );
  });
});

describePg("ISO timestamp and UUID text under the server's collation", () => {
  let twins: TwinDatabases;

  beforeAll(async () => {
    twins = await createTwinDatabases("collation");
  });

  afterAll(async () => {
    await twins?.cleanup();
  });

  it("the test server really uses a linguistic collation (not byte order)", async () => {
    const [{ collate }] = await twins.pg.query(`SELECT datcollate AS collate FROM pg_database WHERE datname = current_database()`);
    // with-postgres.sh creates the cluster with en_US.UTF-8; a C locale would make this file prove nothing.
    if (!/^c(\.utf-?8)?$/i.test(collate)) {
      const rows: { x: string }[] = await twins.pg.query(`SELECT x FROM (VALUES ('a-b'), ('aa')) v(x) ORDER BY x`);
      expect(rows.map((r) => r.x)).toEqual(["aa", "a-b"]);
    }
    expect(collate).toMatch(/en_US/i);
  });

  it("ORDER BY and range predicates on ISO text are time order, across years, months, days, and milliseconds", async () => {
    const instants = [
      "1999-12-31T23:59:59.999Z",
      "2000-01-01T00:00:00.000Z",
      "2026-01-09T10:00:00.000Z",
      "2026-01-10T09:59:59.999Z",
      "2026-10-01T00:00:00.000Z",
      "2026-09-30T23:59:59.999Z",
      "2026-11-27T23:37:23.123Z",
      "2026-11-27T23:37:23.124Z",
      "2026-11-27T03:37:23.123Z",
      "2099-02-28T12:00:00.000Z",
    ];
    const rows = instants.map((t) => validateMetricRecord(finished("time", t, 1), { generateId: true }));
    await twins.insert(rows);
    const sorted = [...instants].sort((a, b) => Date.parse(a) - Date.parse(b));
    const got: { started_at: string }[] = await twins.pg.query(
      `SELECT started_at FROM execution_metrics WHERE skill_id = 'time' ORDER BY started_at`,
    );
    expect(got.map((r) => r.started_at)).toEqual(sorted);
    const from = "2026-01-10T00:00:00.000Z";
    const to = "2026-11-27T23:37:23.124Z";
    const page = await new MetricsQueryService(twins.pg).getMetrics({ skillId: "time", from, to, order: "asc" });
    expect(page.items.map((m) => m.startedAt.toISOString())).toEqual(
      sorted.filter((t) => Date.parse(t) >= Date.parse(from) && Date.parse(t) < Date.parse(to)),
    );
  });

  it("lowercase UUIDs (what the SDK writes) sort in byte order: ties on started_at page identically to SQLite", async () => {
    const t = "2026-06-01T00:00:00.000Z";
    const ids = [
      "0a000000-0000-4000-8000-000000000000",
      "00000000-0000-4000-8000-00000000000a",
      "a0000000-0000-4000-8000-000000000000",
      "9fffffff-ffff-4fff-bfff-ffffffffffff",
      "f0000000-0000-4000-8000-000000000000",
      "0b000000-0000-4000-8000-000000000000",
      uuidv7(),
      uuidv7(),
    ];
    await twins.insert(ids.map((id) => validateMetricRecord({ ...finished("tie", t, 1), execution_id: id })));
    const bytewise = [...ids].sort((a, b) => (a < b ? -1 : 1));
    const pages = await allPages(new MetricsQueryService(twins.pg), { skillId: "tie", order: "asc", limit: 3 });
    expect(pages.flat()).toEqual(bytewise);
    expect(pages).toEqual(await allPages(new MetricsQueryService(twins.sqlite), { skillId: "tie", order: "asc", limit: 3 }));
  });
});

