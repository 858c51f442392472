import type { DataSource } from "typeorm";
import type { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ExecutionStateError, MetricValidationError, NotFoundError, type SkillMetricsError } from "../../../src/errors";
import { dialectOf, queryFor } from "../../../src/storage/sql-support";

/**
 * The annotation API of the collector (anomalies, review queue, corrective actions, learning links), run
 * against one database per test: the SQLite suite and the PostgreSQL suite both call this, so the two
 * databases are held to the same assertions, rows read back with SQL.
 */
export interface AnnotatedDatabase {
  readonly metrics: ExecutionMetricsCollector;
  /** A second DataSource on the same database, for reading (and deleting) rows with SQL. */
  readonly dataSource: DataSource;
  cleanup(): Promise<void>;
}

const T0 = Date.parse("2026-06-01T00:00:00.000Z");
const iso = (offsetMillis: number) => new Date(T0 + offsetMillis).toISOString();

/** Records one finished execution of `skill` started at T0 + offsetMillis; returns its id. */
function recordExecution(metrics: ExecutionMetricsCollector, skill: string, offsetMillis: number): string {
  return metrics.record({
    skill_id: skill,
    started_at: iso(offsetMillis),
    completed_at: iso(offsetMillis + 10),
    total_duration_ms: 10,
    status: "success",
  });
}

async function failure(promise: Promise<unknown>): Promise<SkillMetricsError> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: SkillMetricsError) => error,
  );
}

export function annotationSuite(open: () => Promise<AnnotatedDatabase>): void {
  let db: AnnotatedDatabase;
  let metrics: ExecutionMetricsCollector;
  const sql = (text: string, params: unknown[] = []) => queryFor(db.dataSource, dialectOf(db.dataSource))<Record<string, unknown>>(text, params);
  const count = async (table: string) => Number((await sql(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeEach(async () => {
    db = await open();
    metrics = db.metrics;
  });

  afterEach(async () => {
    await db.cleanup();
  });

  describe("anomalies", () => {
    it("markAnomaly stores the anomaly with the execution's skill and start, open, right after record() (the queue is flushed)", async () => {
      const executionId = recordExecution(metrics, "summarize", 5000);
      const anomalyId = await metrics.markAnomaly(executionId, {
        detector: "duration-zscore",
        kind: "slow",
        score: 4.25,
        severity: "high",
        details: { z: 4.25, baselineMs: [1, 2.5], note: "é\u{1F600}" },
      });
      expect(anomalyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const rows = await sql(`SELECT * FROM execution_anomalies`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        anomaly_id: anomalyId,
        execution_id: executionId,
        skill_id: "summarize",
        started_at: iso(5000),
        detector: "duration-zscore",
        kind: "slow",
        score: 4.25,
        severity: "high",
        details: '{"z":4.25,"baselineMs":[1,2.5],"note":"é\u{1F600}"}',
        status: "open",
        resolution: null,
        notes: null,
        resolved_at: null,
      });
      expect(String(rows[0].created_at)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const page = await metrics.getAnomalies();
      expect(page.nextCursor).toBeNull();
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        anomalyId,
        executionId,
        skillId: "summarize",
        startedAt: new Date(iso(5000)),
        score: 4.25,
        severity: "high",
        details: { z: 4.25, baselineMs: [1, 2.5], note: "é\u{1F600}" },
        status: "open",
      });
    });

    it("score, severity and details are optional (stored null)", async () => {
      const executionId = recordExecution(metrics, "s", 0);
      await metrics.markAnomaly(executionId, { detector: "d", kind: "k" });
      expect((await sql(`SELECT score, severity, details FROM execution_anomalies`))[0]).toEqual({ score: null, severity: null, details: null });
    });

    it("resolveAnomaly sets status, resolution, notes and resolved_at once; a second resolution is refused and changes nothing", async () => {
      const anomalyId = await metrics.markAnomaly(recordExecution(metrics, "s", 0), { detector: "d", kind: "k" });
      const resolved = await metrics.resolveAnomaly(anomalyId, { resolution: "false_positive", notes: "deploy window" });
      expect(resolved).toMatchObject({ anomalyId, status: "resolved", resolution: "false_positive", notes: "deploy window" });
      expect(resolved.resolvedAt).toBeInstanceOf(Date);
      const stored = (await sql(`SELECT status, resolution, notes, resolved_at FROM execution_anomalies`))[0];
      expect(stored).toMatchObject({ status: "resolved", resolution: "false_positive", notes: "deploy window" });
      const again = await failure(metrics.resolveAnomaly(anomalyId, { resolution: "fixed" }));
      expect(again).toBeInstanceOf(ExecutionStateError);
      expect(again.code).toBe("SKILL_METRICS_ALREADY_RESOLVED");
      expect((await sql(`SELECT status, resolution, notes, resolved_at FROM execution_anomalies`))[0]).toEqual(stored);
    });

    it("unknown ids are NotFoundErrors and write nothing", async () => {
      const unknownExecution = await failure(metrics.markAnomaly("01890000-0000-7000-8000-000000000000", { detector: "d", kind: "k" }));
      expect(unknownExecution).toBeInstanceOf(NotFoundError);
      expect(unknownExecution.message).toContain("01890000-0000-7000-8000-000000000000");
      expect(await failure(metrics.resolveAnomaly("nope", { resolution: "x" }))).toBeInstanceOf(NotFoundError);
      expect(await count("execution_anomalies")).toBe(0);
    });

    it.each<[string, object, string, string]>([
      ["an empty detector", { detector: "", kind: "k" }, "detector", "isString"],
      ["a detector of 256 code units", { detector: "d".repeat(256), kind: "k" }, "detector", "maxLength"],
      ["a kind of 65 code units", { detector: "d", kind: "k".repeat(65) }, "kind", "maxLength"],
      ["a kind with a NUL", { detector: "d", kind: "a\u0000b" }, "kind", "storableText"],
      ["a NaN score", { detector: "d", kind: "k", score: Number.NaN }, "score", "isFinite"],
      ["a string score", { detector: "d", kind: "k", score: "3" }, "score", "isFinite"],
      ["an unknown severity", { detector: "d", kind: "k", severity: "severe" }, "severity", "isIn"],
      ["details that are an array", { detector: "d", kind: "k", details: [1] }, "details", "isObject"],
      ["details over 65,536 code units", { detector: "d", kind: "k", details: { t: "x".repeat(65_536) } }, "details", "maxLength"],
    ])("%s is a MetricValidationError naming the field and rule; nothing is written", async (_name, mark, field, rule) => {
      const executionId = recordExecution(metrics, "s", 0);
      const error = await failure(metrics.markAnomaly(executionId, mark as never));
      expect(error).toBeInstanceOf(MetricValidationError);
      expect((error as MetricValidationError).issues[0]).toMatchObject({ field, rule });
      expect(await count("execution_anomalies")).toBe(0);
    });

    it("cyclic details are refused as not JSON-serializable", async () => {
      const details: Record<string, unknown> = {};
      details.self = details;
      const error = await failure(metrics.markAnomaly(recordExecution(metrics, "s", 0), { detector: "d", kind: "k", details }));
      expect((error as MetricValidationError).issues[0]).toMatchObject({ field: "details", rule: "isJson" });
    });

    it("a resolution of 256 code units is refused; notes are cut at 4,096 like every note", async () => {
      const anomalyId = await metrics.markAnomaly(recordExecution(metrics, "s", 0), { detector: "d", kind: "k" });
      const error = await failure(metrics.resolveAnomaly(anomalyId, { resolution: "r".repeat(256) }));
      expect((error as MetricValidationError).issues[0]).toMatchObject({ field: "resolution", rule: "maxLength" });
      expect((await sql(`SELECT status FROM execution_anomalies`))[0].status).toBe("open");
      const resolved = await metrics.resolveAnomaly(anomalyId, { resolution: "ok", notes: "n".repeat(10_000) });
      expect(resolved.notes).toHaveLength(4096);
    });

    it("getAnomalies pages by keyset, newest execution first (ties by anomaly id), every row once, with each filter", async () => {
      // 12 executions over two skills, three sharing one started_at (the tie break is the anomaly id).
      const offsets = [0, 1000, 2000, 2000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000];
      const marked: { anomalyId: string; startedAt: string; skill: string; detector: string; kind: string }[] = [];
      for (const [i, offset] of offsets.entries()) {
        const skill = i % 2 === 0 ? "even" : "odd";
        const detector = i % 3 === 0 ? "zscore" : "iqr";
        const kind = i % 4 === 0 ? "slow" : "costly";
        const anomalyId = await metrics.markAnomaly(recordExecution(metrics, skill, offset), { detector, kind });
        marked.push({ anomalyId, startedAt: iso(offset), skill, detector, kind });
      }
      await metrics.resolveAnomaly(marked[5].anomalyId, { resolution: "fixed" });
      const newestFirst = (a: (typeof marked)[0], b: (typeof marked)[0]) =>
        a.startedAt === b.startedAt ? (a.anomalyId < b.anomalyId ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1;
      const all = async (query: Parameters<ExecutionMetricsCollector["getAnomalies"]>[0]) => {
        const ids: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await metrics.getAnomalies({ ...query, limit: 3, after });
          expect(page.items.length).toBeLessThanOrEqual(3);
          ids.push(...page.items.map((a) => a.anomalyId));
          after = page.nextCursor ?? undefined;
          pages++;
        } while (after !== undefined);
        return { ids, pages };
      };
      const expected = (keep: (m: (typeof marked)[0]) => boolean) => marked.filter(keep).sort(newestFirst).map((m) => m.anomalyId);
      const everything = await all({});
      expect(everything.ids).toEqual(expected(() => true));
      expect(everything.pages).toBe(4);
      expect((await all({ skillId: "odd" })).ids).toEqual(expected((m) => m.skill === "odd"));
      expect((await all({ detector: "zscore" })).ids).toEqual(expected((m) => m.detector === "zscore"));
      expect((await all({ kind: "slow" })).ids).toEqual(expected((m) => m.kind === "slow"));
      expect((await all({ status: "resolved" })).ids).toEqual([marked[5].anomalyId]);
      expect((await all({ status: "open" })).ids).toEqual(expected((m) => m.anomalyId !== marked[5].anomalyId));
      expect((await all({ from: iso(2000), to: new Date(T0 + 5000) })).ids).toEqual(
        expected((m) => m.startedAt >= iso(2000) && m.startedAt < iso(5000)),
      );
      expect((await all({ skillId: "even", kind: "slow", from: iso(1) })).ids).toEqual(
        expected((m) => m.skill === "even" && m.kind === "slow" && m.startedAt >= iso(1)),
      );
    });

    it("bad query fields are named together; a cursor of another query is refused", async () => {
      const error = await failure(metrics.getAnomalies({ limit: 0, status: "closed" as never, from: "yesterday" }));
      expect((error as MetricValidationError).issues.map((i) => i.field).sort()).toEqual(["from", "limit", "status"]);
      const reviewId = await metrics.flagForReview(recordExecution(metrics, "s", 0), { reason: "r" });
      await metrics.flagForReview(recordExecution(metrics, "s", 1), { reason: "r" });
      const queue = await metrics.getReviewQueue({ limit: 1 });
      expect(queue.items[0].reviewId).toBe(reviewId);
      const wrong = await failure(metrics.getAnomalies({ after: queue.nextCursor! }));
      expect((wrong as MetricValidationError).issues[0]).toMatchObject({ field: "after", rule: "cursor" });
    });
  });

  describe("review queue", () => {
    it("flagForReview stores an open flag; the queue lists open flags oldest first, by skill, in keyset pages", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push(await metrics.flagForReview(recordExecution(metrics, i < 4 ? "a" : "b", i * 1000), { reason: `why ${i}`, by: i === 0 ? "detector-1" : undefined }));
      }
      const first = (await sql(`SELECT * FROM execution_reviews WHERE review_id = ?`, [ids[0]]))[0];
      expect(first).toMatchObject({ skill_id: "a", reason: "why 0", flagged_by: "detector-1", status: "open", resolution: null, resolved_at: null });
      expect((await sql(`SELECT flagged_by FROM execution_reviews WHERE review_id = ?`, [ids[1]]))[0].flagged_by).toBeNull();
      const resolved = await metrics.resolveReview(ids[2], { resolution: "ok", notes: "looked fine" });
      expect(resolved).toMatchObject({ reviewId: ids[2], status: "resolved", resolution: "ok", notes: "looked fine" });
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await metrics.getReviewQueue({ limit: 2, after });
        pages.push(page.items.map((r) => r.reviewId));
        after = page.nextCursor ?? undefined;
      } while (after !== undefined);
      // created_at is the clock's millisecond; ties fall back to the time-ordered UUIDv7: the order of flagging.
      expect(pages.flat()).toEqual(ids.filter((id) => id !== ids[2]));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
      expect((await metrics.getReviewQueue({ skillId: "a" })).items.map((r) => r.reviewId)).toEqual([ids[0], ids[1], ids[3]]);
      expect((await metrics.getReviewQueue({ status: "resolved" })).items.map((r) => r.reviewId)).toEqual([ids[2]]);
      const twice = await failure(metrics.resolveReview(ids[2], { resolution: "again" }));
      expect(twice).toBeInstanceOf(ExecutionStateError);
      expect(twice.code).toBe("SKILL_METRICS_ALREADY_RESOLVED");
    });

    it("refuses an empty reason, a long `by`, an unknown execution or review id; writes nothing", async () => {
      const executionId = recordExecution(metrics, "s", 0);
      expect(((await failure(metrics.flagForReview(executionId, { reason: "" }))) as MetricValidationError).field).toBe("reason");
      expect(((await failure(metrics.flagForReview(executionId, { reason: "r", by: "b".repeat(256) }))) as MetricValidationError).field).toBe("by");
      expect(await failure(metrics.flagForReview("01890000-0000-7000-8000-000000000000", { reason: "r" }))).toBeInstanceOf(NotFoundError);
      expect(await failure(metrics.resolveReview("01890000-0000-7000-8000-000000000000", { resolution: "ok" }))).toBeInstanceOf(NotFoundError);
      expect(await count("execution_reviews")).toBe(0);
    });
  });

  describe("corrective actions", () => {
    it("are recorded about an execution or an anomaly and listed oldest first", async () => {
      const executionId = recordExecution(metrics, "s", 0);
      const anomalyId = await metrics.markAnomaly(executionId, { detector: "d", kind: "k" });
      const onExecution = await metrics.recordCorrectiveAction({ executionId, action: "re-ran with a larger timeout", by: "oncall" });
      const onAnomaly1 = await metrics.recordCorrectiveAction({ anomalyId, action: "raised the budget", notes: "p95 moved" });
      const onAnomaly2 = await metrics.recordCorrectiveAction({ anomalyId, action: "second step" });
      expect((await sql(`SELECT * FROM corrective_actions WHERE action_id = ?`, [onExecution]))[0]).toMatchObject({
        execution_id: executionId,
        anomaly_id: null,
        action: "re-ran with a larger timeout",
        performed_by: "oncall",
        notes: null,
      });
      expect((await sql(`SELECT * FROM corrective_actions WHERE action_id = ?`, [onAnomaly1]))[0]).toMatchObject({
        execution_id: null,
        anomaly_id: anomalyId,
        action: "raised the budget",
        performed_by: null,
        notes: "p95 moved",
      });
      expect((await metrics.getCorrectiveActions({ anomalyId })).map((a) => a.actionId)).toEqual([onAnomaly1, onAnomaly2]);
      expect((await metrics.getCorrectiveActions({ executionId })).map((a) => a.actionId)).toEqual([onExecution]);
    });

    it.each<[string, object]>([
      ["both ids", { executionId: "x", anomalyId: "y", action: "a" }],
      ["neither id", { action: "a" }],
    ])("%s is a MetricValidationError (rule exactlyOne); nothing is written", async (_name, input) => {
      const error = (await failure(metrics.recordCorrectiveAction(input as never))) as MetricValidationError;
      expect(error).toBeInstanceOf(MetricValidationError);
      expect(error.issues[0]).toMatchObject({ field: "executionId/anomalyId", rule: "exactlyOne" });
      expect(await count("corrective_actions")).toBe(0);
    });

    it("an unknown execution or anomaly is a NotFoundError; an empty action is refused", async () => {
      expect(await failure(metrics.recordCorrectiveAction({ executionId: "01890000-0000-7000-8000-000000000000", action: "a" }))).toBeInstanceOf(NotFoundError);
      expect(await failure(metrics.recordCorrectiveAction({ anomalyId: "01890000-0000-7000-8000-000000000000", action: "a" }))).toBeInstanceOf(NotFoundError);
      const error = (await failure(metrics.recordCorrectiveAction({ executionId: recordExecution(metrics, "s", 0), action: "" }))) as MetricValidationError;
      expect(error.field).toBe("action");
      expect(await count("corrective_actions")).toBe(0);
    });
  });

  describe("learning links", () => {
    it("link executions to a learning once per pair; relinking replaces the relation; pages in execution_id order with the execution", async () => {
      const executions = [0, 1, 2, 3, 4].map((i) => recordExecution(metrics, `skill-${i}`, i * 1000));
      for (const id of executions) await metrics.linkLearning(id, "learning-42");
      await metrics.linkLearning(executions[0], "learning-7", { relation: "counterexample" });
      const relinked = await metrics.linkLearning(executions[1], "learning-42", { relation: "evidence" });
      expect(relinked).toMatchObject({ executionId: executions[1], learningId: "learning-42", relation: "evidence" });
      expect(await count("execution_learnings")).toBe(6);
      const rows = await sql(`SELECT relation FROM execution_learnings WHERE learning_id = ? ORDER BY execution_id`, ["learning-42"]);
      expect(rows.map((r) => r.relation)).toEqual(["related", "evidence", "related", "related", "related"]);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await metrics.getExecutionsForLearning("learning-42", { limit: 2, after });
        for (const link of page.items) {
          expect(link.execution.executionId).toBe(link.executionId);
          expect(link.execution.skillId).toBe(`skill-${executions.indexOf(link.executionId)}`);
        }
        seen.push(...page.items.map((l) => l.executionId));
        after = page.nextCursor ?? undefined;
      } while (after !== undefined);
      expect(seen).toEqual([...executions].sort());
      expect((await metrics.getExecutionsForLearning("learning-7")).items.map((l) => [l.executionId, l.relation])).toEqual([
        [executions[0], "counterexample"],
      ]);
      expect((await metrics.getExecutionsForLearning("unknown-learning")).items).toEqual([]);
    });

    it("refuses an unknown execution, an empty learning id, a relation of 65 code units", async () => {
      expect(await failure(metrics.linkLearning("01890000-0000-7000-8000-000000000000", "l"))).toBeInstanceOf(NotFoundError);
      const executionId = recordExecution(metrics, "s", 0);
      expect(((await failure(metrics.linkLearning(executionId, ""))) as MetricValidationError).field).toBe("learningId");
      expect(((await failure(metrics.linkLearning(executionId, "l", { relation: "r".repeat(65) }))) as MetricValidationError).field).toBe("relation");
      expect(await count("execution_learnings")).toBe(0);
    });
  });

  describe("deleting an execution", () => {
    it("cascades to its anomalies, their corrective actions, its review flags, corrective actions and learning links; others stay", async () => {
      const doomed = recordExecution(metrics, "s", 0);
      const kept = recordExecution(metrics, "s", 1000);
      for (const executionId of [doomed, kept]) {
        const anomalyId = await metrics.markAnomaly(executionId, { detector: "d", kind: "k" });
        await metrics.recordCorrectiveAction({ anomalyId, action: "a" });
        await metrics.recordCorrectiveAction({ executionId, action: "b" });
        await metrics.flagForReview(executionId, { reason: "r" });
        await metrics.linkLearning(executionId, "l");
      }
      await sql(`DELETE FROM execution_metrics WHERE execution_id = ?`, [doomed]);
      for (const table of ["execution_anomalies", "execution_reviews", "execution_learnings"]) {
        expect(await sql(`SELECT execution_id FROM ${table}`)).toEqual([{ execution_id: kept }]);
      }
      expect(await count("corrective_actions")).toBe(2);
      expect((await metrics.getAnomalies()).items.map((a) => a.executionId)).toEqual([kept]);
    });

    it("re-importing an export of the annotated executions adds nothing and keeps every annotation", async () => {
      const executionId = recordExecution(metrics, "s", 0);
      await metrics.markAnomaly(executionId, { detector: "d", kind: "k" });
      await metrics.flagForReview(executionId, { reason: "r" });
      await metrics.linkLearning(executionId, "l");
      const { PassThrough } = await import("node:stream");
      const chunks: Buffer[] = [];
      const sink = new PassThrough();
      sink.on("data", (chunk: Buffer) => chunks.push(chunk));
      await metrics.exportJson(sink, undefined, { format: "ndjson" });
      const { Readable } = await import("node:stream");
      const report = await metrics.import(Readable.from([Buffer.concat(chunks)]), { format: "ndjson" });
      expect(report).toMatchObject({ imported: 0, skipped: 1, invalidRecords: 0 });
      expect([await count("execution_anomalies"), await count("execution_reviews"), await count("execution_learnings")]).toEqual([1, 1, 1]);
    });
  });
}
