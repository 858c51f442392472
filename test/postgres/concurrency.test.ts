import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDataSource } from "../../src/storage/data-source";
import { createPgDatabase, describePg, type PgTestDatabase } from "./pg-database";

/**
 * The concurrency bar: 4 processes × 25,000 tracked executions into one database, through the BUILT
 * package (`npm run build` first; `npm test` and `npm run test:pg` do), all starting together on a NEW database
 * (so they also race to migrate it). On a 2-core machine each run takes about a minute, hence the timeouts.
 */
const SCRIPT = join(__dirname, "../fixtures-scripts/pg-writer.js");
const PROCESSES = 4;
const PER_PROCESS = 25_000;

interface WriterReport {
  process: number;
  executions: number;
  errors: number;
  errorMessages: string[];
  stats: { submitted: number; written: number; spilled: number; replayed: number; dropped: number };
}

function runWriter(target: string, index: number): Promise<WriterReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, target, String(index), String(PER_PROCESS)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => {
      const last = stdout.trimEnd().split("\n").pop() ?? "";
      if (code !== 0 || !last.startsWith("{")) reject(new Error(`writer ${index} exited ${code}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(last) as WriterReport);
    });
  });
}

async function runAll(target: string): Promise<void> {
  const reports = await Promise.all(Array.from({ length: PROCESSES }, (_u, p) => runWriter(target, p)));
  for (const report of reports) {
    expect(report).toMatchObject({
      executions: PER_PROCESS,
      errors: 0,
      errorMessages: [],
      stats: { submitted: PER_PROCESS, written: PER_PROCESS, spilled: 0, dropped: 0 },
    });
  }
}

/** Total rows and distinct notes ("p<process>-i<index>", one per execution). */
async function counts(where: { url?: string; database?: string }): Promise<{ rows: number; notes: number }> {
  const dataSource = await createDataSource(where).initialize();
  try {
    const [row] = await dataSource.query(
      `SELECT COUNT(*) AS rows, COUNT(DISTINCT notes) AS notes FROM execution_metrics WHERE skill_id = 'concurrent_pg'`,
    );
    return { rows: Number(row.rows), notes: Number(row.notes) };
  } finally {
    await dataSource.destroy();
  }
}

describePg("concurrent writers: 4 processes × 25,000 executions", () => {
  let database: PgTestDatabase;

  beforeAll(async () => {
    database = await createPgDatabase("concurrency");
  });

  afterAll(async () => {
    await database?.drop();
  });

  it("into one PostgreSQL database: exactly 100,000 rows, each execution once, no error", async () => {
    await runAll(database.url);
    expect(await counts({ url: database.url })).toEqual({ rows: 100_000, notes: 100_000 });
  }, 300_000);

  it("into one SQLite file (WAL, busy timeout): exactly 100,000 rows, each execution once, no error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-concurrency-"));
    try {
      const file = join(dir, "metrics.db");
      await runAll(file);
      expect(await counts({ database: file })).toEqual({ rows: 100_000, notes: 100_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
