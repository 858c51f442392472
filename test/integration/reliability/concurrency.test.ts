import { parseCsv } from "../../support/parse-csv";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { EXECUTION_METRIC_COLUMNS } from "../../../src/model/execution-metric-columns";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { ImportService } from "../../../src/exchange/ImportService";

/**
 * Several processes, each with several async workers, tracking into ONE SQLite file through the BUILT
 * package (dist/, made by `npm run build`, which `npm test` runs first; SKILL_METRICS_DIST points at a
 * private build). In the first test the processes also start together on a NEW file, so they race to migrate
 * it (openDatabase serializes that with BEGIN IMMEDIATE).
 */
const SCRIPT = join(__dirname, "../../fixtures-scripts/concurrent-writer.js");
const BUILT = join(process.env.SKILL_METRICS_DIST ?? join(__dirname, "../../../dist/src"), "index.js");

interface WriterReport {
  process: number;
  executions: number;
  errors: number;
  errorMessages: string[];
  stats: { submitted: number; written: number; spilled: number; replayed: number; dropped: number };
}

interface Writer {
  child: ChildProcess;
  /** Resolves with the writer's final JSON report; rejects if it exits otherwise. */
  done: Promise<WriterReport>;
  /** Resolves when the writer prints "running" (until-stdin mode). */
  running: Promise<void>;
}

function startWriter(database: string, index: number, workers: number, count: number | "until-stdin"): Writer {
  const child = spawn(process.execPath, [SCRIPT, database, String(index), String(workers), String(count)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let markRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (markRunning = resolve));
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.includes("running\n")) markRunning();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<WriterReport>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const last = stdout.trimEnd().split("\n").pop() ?? "";
      if (code !== 0 || !last.startsWith("{")) {
        reject(new Error(`writer ${index} ended with code ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve(JSON.parse(last) as WriterReport);
    });
  });
  done.catch(() => markRunning()); // a writer that dies must not leave a test waiting for "running"
  return { child, done, running };
}

describe("concurrency: many processes and async workers, one SQLite file", () => {
  let dir: string;
  let database: string;

  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" first (npm test does).`);
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-concurrency-"));
    database = join(dir, "metrics.db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("4 processes × 8 workers × 500 tracked executions (decorator and track()), started together on a new file, are exactly 16,000 rows, each once, no error", async () => {
    const PROCESSES = 4;
    const WORKERS = 8;
    const PER_WORKER = 500;
    const writers = Array.from({ length: PROCESSES }, (_unused, p) => startWriter(database, p, WORKERS, PER_WORKER));
    const reports = await Promise.all(writers.map((w) => w.done));

    for (const report of reports) {
      expect(report).toEqual({
        process: expect.any(Number),
        executions: WORKERS * PER_WORKER,
        errors: 0,
        errorMessages: [],
        stats: { submitted: WORKERS * PER_WORKER, written: WORKERS * PER_WORKER, spilled: 0, replayed: 0, dropped: 0, rejected: 0, handlerFailures: 0 },
      });
    }

    const dataSource = await openDatabase(createDataSource({ database }));
    try {
      const [totals] = await dataSource.query(
        "SELECT count(*) AS n, count(DISTINCT execution_id) AS ids, count(DISTINCT notes) AS notes, " +
          "sum(status = 'success') AS ok, sum(completed_at >= started_at) AS ordered FROM execution_metrics",
      );
      const N = PROCESSES * WORKERS * PER_WORKER;
      expect(totals).toEqual({ n: N, ids: N, notes: N, ok: N, ordered: N });
      // Every execution each worker ran, exactly once: the notes are the complete expected set.
      const notes: { notes: string }[] = await dataSource.query("SELECT notes FROM execution_metrics ORDER BY notes");
      const expected: string[] = [];
      for (let p = 0; p < PROCESSES; p++) {
        for (let w = 0; w < WORKERS; w++) for (let i = 0; i < PER_WORKER; i++) expected.push(`p${p}-w${w}-i${i}`);
      }
      expect(notes.map((r) => r.notes)).toEqual(expected.sort());
      const bySkill = await dataSource.query("SELECT skill_id, count(*) AS n FROM execution_metrics GROUP BY skill_id ORDER BY skill_id");
      expect(bySkill).toEqual([
        { skill_id: "concurrent_decorated", n: N / 2 },
        { skill_id: "concurrent_track", n: N / 2 },
      ]);
      // output_size_bytes was recorded inside each execution: its own note's length, not a neighbour's.
      const [{ mismatched }] = await dataSource.query("SELECT count(*) AS mismatched FROM execution_metrics WHERE output_size_bytes != length(notes)");
      expect(mismatched).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });

  it("an export while 2 processes write is one consistent snapshot: complete rows, exactly the rows committed before one instant", async () => {
    const writers = [0, 1].map((p) => startWriter(database, p, 4, "until-stdin"));
    await Promise.all(writers.map((w) => w.running));
    const reader = await ExecutionMetricsCollector.create({ database, setAsDefault: false });
    const target = await openDatabase(createDataSource({ database: join(dir, "target.db") }));
    try {
      const countNow = async (): Promise<number> => {
        const [{ n }] = await reader.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
        return n;
      };
      const before = await countNow();
      let snapshotTotal = -1;
      let committedDuringExport = 0;
      const chunks: Buffer[] = [];
      let paused = false;
      const destination = new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          if (paused) return callback();
          paused = true;
          // The snapshot is open (the header and first page were read): hold the export until the writers
          // have committed at least 300 more rows, so the export provably runs while the file changes.
          void (async () => {
            const atPause = await countNow();
            while ((committedDuringExport = (await countNow()) - atPause) < 300) await new Promise((r) => setTimeout(r, 20));
          })().then(() => callback(), callback);
        },
      });
      const result = await reader.exportCsv(destination, undefined, {
        pageSize: 100,
        onProgress: (_written, total) => (snapshotTotal = total),
      });
      for (const writer of writers) writer.child.stdin!.end("stop\n");
      const reports = await Promise.all(writers.map((w) => w.done));
      for (const report of reports) expect([report.errors, report.errorMessages, report.stats.spilled]).toEqual([0, [], 0]);

      const csv = Buffer.concat(chunks).toString("utf8");
      const [header, ...records] = await parseCsv(csv);
      expect(header).toEqual(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
      expect(committedDuringExport).toBeGreaterThanOrEqual(300);
      // One instant: the count taken inside the export's snapshot is the number of rows written.
      expect(result.rows).toBe(snapshotTotal);
      expect(records).toHaveLength(snapshotTotal);
      expect(snapshotTotal).toBeGreaterThanOrEqual(before);
      const afterAll = await countNow();
      expect(afterAll).toBe(reports.reduce((sum, r) => sum + r.executions, 0));
      expect(snapshotTotal).toBeLessThan(afterAll);

      // rowids grow with commit order here (one table, no deletes, writes serialized by SQLite's lock), so a
      // consistent snapshot is exactly the rows up to some rowid: no gap before it, nothing after it.
      const idColumn = header.indexOf("execution_id");
      const exported = new Set(records.map((r) => r[idColumn]));
      expect(exported.size).toBe(records.length);
      const byRowid: { rowid: number; execution_id: string }[] = await reader.dataSource.query(
        "SELECT rowid, execution_id FROM execution_metrics ORDER BY rowid",
      );
      const lastIncluded = byRowid.reduce((last, row, i) => (exported.has(row.execution_id) ? i : last), -1);
      expect(byRowid.slice(0, lastIncluded + 1).every((row) => exported.has(row.execution_id))).toBe(true);
      expect(lastIncluded + 1).toBe(exported.size);

      // Every exported row is complete: it imports without a single issue and equals the stored row.
      const again = await reader.import(Readable.from([csv]), { format: "csv", strict: true });
      expect(again).toEqual({ imported: 0, skipped: exported.size, invalidRecords: 0, invalid: [], ignoredColumns: [], stopped: null }); // all stored already
      const fresh = await new ImportService(target).import(Readable.from([csv]), { format: "csv", strict: true });
      expect(fresh).toEqual({ imported: exported.size, skipped: 0, invalidRecords: 0, invalid: [], ignoredColumns: [], stopped: null });
      const maxRowid = byRowid[lastIncluded].rowid;
      const sourceRows = await reader.dataSource.query(`SELECT * FROM execution_metrics WHERE rowid <= ? ORDER BY execution_id`, [maxRowid]);
      const targetRows = await target.query("SELECT * FROM execution_metrics ORDER BY execution_id");
      expect(targetRows).toEqual(sourceRows);
    } finally {
      for (const writer of writers) if (writer.child.exitCode === null) writer.child.stdin!.end("stop\n");
      await Promise.allSettled(writers.map((w) => w.done));
      await target.destroy();
      await reader.shutdown();
    }
  });
});
