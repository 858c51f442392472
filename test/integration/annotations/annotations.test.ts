import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { createDataSource } from "../../../src/storage/data-source";
import { annotationSuite } from "./annotations-suite";

/**
 * The annotation API on a SQLite file: the collector's own (rows written by its writer thread), and a second
 * DataSource on the file to read rows back with SQL. The PostgreSQL run of the same suite is
 * test/postgres/annotations.test.ts.
 */
describe("annotations [sqlite]", () => {
  annotationSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-annotations-"));
    const database = join(dir, "metrics.db");
    // A generous write deadline: on a loaded machine the writer thread's first write can take longer than the
    // default 5 s, and with no spill file the row would be dropped. Speed is not under test here.
    const metrics = await ExecutionMetricsCollector.create({ database, spillPath: null, setAsDefault: false, writeTimeoutMillis: 60_000 });
    const dataSource = await createDataSource({ database }).initialize();
    return {
      metrics,
      dataSource,
      async cleanup() {
        await metrics.shutdown();
        await dataSource.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });

  it("cascades a delete on a connection with foreign keys off (the sqlite3 shell's default), by the trigger", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-annotations-"));
    const database = join(dir, "metrics.db");
    const metrics = await ExecutionMetricsCollector.create({ database, spillPath: null, setAsDefault: false });
    try {
      const executionId = metrics.record({ skill_id: "s", started_at: "2026-06-01T00:00:00.000Z", status: "running" });
      const anomalyId = await metrics.markAnomaly(executionId, { detector: "d", kind: "k" });
      await metrics.recordCorrectiveAction({ anomalyId, action: "a" });
      await metrics.recordCorrectiveAction({ executionId, action: "b" });
      await metrics.flagForReview(executionId, { reason: "r" });
      await metrics.linkLearning(executionId, "l");
      const raw = await createDataSource({ database }).initialize();
      try {
        await raw.query("PRAGMA foreign_keys = OFF");
        expect(await raw.query("PRAGMA foreign_keys")).toEqual([{ foreign_keys: 0 }]);
        await raw.query("DELETE FROM execution_metrics WHERE execution_id = ?", [executionId]);
        const left = await raw.query(
          `SELECT (SELECT COUNT(*) FROM execution_anomalies) + (SELECT COUNT(*) FROM corrective_actions)
                + (SELECT COUNT(*) FROM execution_reviews) + (SELECT COUNT(*) FROM execution_learnings) AS n`,
        );
        expect(left).toEqual([{ n: 0 }]);
      } finally {
        await raw.destroy();
      }
    } finally {
      await metrics.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
