import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError, MetricValidationError } from "../../../src/errors";
import { track } from "../../../src/tracking/track";
import { setDefaultSink } from "../../../src/tracking/default-sink";

const fixture = JSON.parse(readFileSync(join(__dirname, "../../../fixtures/invalid_records.json"), "utf8"));

describe("ExecutionMetricsCollector", () => {
  let dir: string;
  let path: string;
  let problems: unknown[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-collector-"));
    path = join(dir, "metrics.db");
    problems = [];
  });

  afterEach(() => {
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (options = {}) =>
    ExecutionMetricsCollector.create({ database: path, onError: (e) => problems.push(e), ...options });

  async function count(metrics: ExecutionMetricsCollector, where = "1 = 1"): Promise<number> {
    await metrics.flush();
    const [{ n }] = await metrics.dataSource.query(`SELECT count(*) AS n FROM execution_metrics WHERE ${where}`);
    return n;
  }

  it("migrates a new database file and records tracked calls to it as the default collector", async () => {
    const metrics = await create();
    expect(existsSync(path)).toBe(true);
    for (let i = 0; i < 50; i++) track("csv_reader", (ctx) => ctx.recordOutputSize(i));
    expect(await count(metrics, "skill_id = 'csv_reader' AND status = 'success'")).toBe(50);
    await metrics.shutdown();
  });

  it("record() validates, refusing every invalid fixture with its field and leaving the table unchanged", async () => {
    const metrics = await create();
    for (const c of fixture.cases) {
      const record = { ...fixture.base, ...c.override };
      for (const key of c.remove ?? []) delete record[key];
      if (c.field === "execution_id" && c.remove) continue; // record() generates a missing id by design
      expect(() => metrics.record(record)).toThrow(MetricValidationError);
      try {
        metrics.record(record);
      } catch (error) {
        expect((error as MetricValidationError).issues.map((i) => i.field)).toContain(c.field);
      }
    }
    expect(await count(metrics)).toBe(0);
    const id = metrics.record({ ...fixture.base });
    expect(id).toBe(fixture.base.execution_id);
    expect(await count(metrics)).toBe(1);
    await metrics.shutdown();
  });

  it("record() gives a record without an id a UUIDv7", async () => {
    const metrics = await create();
    const { execution_id: _id, ...rest } = fixture.base;
    const id = metrics.record(rest);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(await count(metrics, `execution_id = '${id}'`)).toBe(1);
    await metrics.shutdown();
  });

  it("records direct executions, and at shutdown records never-ended ones as running and reports them", async () => {
    const metrics = await create();
    const done = metrics.startExecution("batch_step", { jobId: "job-7" });
    metrics.endExecution(done, { status: "success", outputSizeBytes: 1024 });
    const open = metrics.start("forgotten");
    await metrics.shutdown();
    const reopened = await create();
    const rows = await reopened.dataSource.query(
      "SELECT execution_id, skill_id, status, job_id, output_size_bytes, completed_at FROM execution_metrics ORDER BY skill_id",
    );
    expect(rows).toEqual([
      { execution_id: done.executionId, skill_id: "batch_step", status: "success", job_id: "job-7", output_size_bytes: 1024, completed_at: expect.any(String) },
      { execution_id: open.executionId, skill_id: "forgotten", status: "running", job_id: null, output_size_bytes: null, completed_at: null },
    ]);
    expect(String(problems.find((p) => String(p).includes("never ended")))).toContain(open.executionId);
    await reopened.shutdown();
  });

  it("ends `using` executions on dispose", async () => {
    const metrics = await create();
    {
      using exec = metrics.start("json_writer");
      exec.recordOutputSize(12);
    }
    {
      await using exec = metrics.start("json_writer");
      exec.fail("output_validation");
    }
    await metrics.flush();
    const rows = await metrics.dataSource.query("SELECT status, error_category FROM execution_metrics ORDER BY execution_id");
    expect(rows).toEqual([
      { status: "success", error_category: null },
      { status: "failure", error_category: "output_validation" },
    ]);
    await metrics.shutdown();
  });

  it("shutdown runs once, closes what it opened, and refuses later use with a clear error", async () => {
    const metrics = await create();
    track("x", () => 1);
    const first = metrics.shutdown();
    expect(metrics.shutdown()).toBe(first);
    await first;
    expect(metrics.dataSource.isInitialized).toBe(false);
    expect(() => metrics.record({ ...fixture.base })).toThrow(ConfigurationError);
    await expect(metrics.exportCsv(join(dir, "x.csv"))).rejects.toThrow(ConfigurationError);
  });

  it("hands executions tracked before any collector existed to the first one", async () => {
    setDefaultSink(null);
    for (let i = 0; i < 5; i++) track("early", () => i);
    const metrics = await create();
    expect(await count(metrics, "skill_id = 'early'")).toBe(5);
    await metrics.shutdown();
  });

  it("applies collector defaults to executions that name none", async () => {
    const metrics = await create({ environment: "prod", agentId: "agent-1" });
    track("a", () => 1);
    track({ skillId: "b", environment: "test" }, () => 1);
    await metrics.flush();
    const rows = await metrics.dataSource.query("SELECT skill_id, environment, agent_id FROM execution_metrics ORDER BY skill_id");
    expect(rows).toEqual([
      { skill_id: "a", environment: "prod", agent_id: "agent-1" },
      { skill_id: "b", environment: "test", agent_id: "agent-1" },
    ]);
    await metrics.shutdown();
  });

  it("answers queries with everything recorded before the call, without an explicit flush", async () => {
    const metrics = await create({ flushIntervalMillis: 60_000 });
    for (let i = 0; i < 30; i++) {
      try {
        track("flaky", () => {
          if (i % 3 === 0) throw Object.assign(new Error("HTTP 503"), { status: 503 });
          return i;
        });
      } catch {
        // the skill's own error, rethrown unchanged
      }
    }
    const page = await metrics.getMetrics({ skillId: "flaky", status: "failure", limit: 5 });
    expect(page.items).toHaveLength(5);
    expect(page.items.every((m) => m.errorCategory === "api_error")).toBe(true);
    const analysis = await metrics.getErrorAnalysis("flaky", { limit: 3 });
    expect(JSON.stringify(analysis)).toContain("api_error");
    const profile = await metrics.getSkillProfile("flaky");
    expect(profile).toMatchObject({ totalExecutions: 30, successfulExecutions: 20, failedExecutions: 10 });
    expect(profile!.failureCategories).toEqual({ api_error: 10 });
    const feedback = await metrics.recordFeedback(page.items[0].executionId, { userSatisfaction: 4 });
    expect(feedback).toMatchObject({ userSatisfaction: 4, userFeedbackReceived: true });
    expect((await metrics.getSkillProfile("flaky"))!.meanUserSatisfaction).toBe(4);
    const baseline = await metrics.getBaseline("flaky", { windowMillis: 60_000 });
    expect(baseline).toMatchObject({ count: 30 });
    await metrics.shutdown();
  });

  it("refuses bad options naming the option", async () => {
    await expect(create({ environment: "" })).rejects.toThrow(/environment/);
    await expect(create({ batchSize: 0 })).rejects.toThrow(ConfigurationError);
    await expect(ExecutionMetricsCollector.create({ url: "mysql://x" })).rejects.toThrow(/url/);
  });
});
