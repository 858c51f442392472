import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assertBuilt,
  type CollectorLike,
  compareWithOracle,
  countRows,
  expectEveryOracleIdOnce,
  loadBuilt,
  plainRecord,
  storedIdCounts,
} from "./fault-support";

/**
 * Fault: a transient disk full. The database lives on a real 1 MB tmpfs (mounted here, as root); the spill
 * file lives elsewhere, on the normal temporary directory. Rows are recorded until SQLITE_FULL is reported,
 * recorded on while the disk is full, then the filesystem is grown (remount, size=256m) and rows are recorded
 * again. Every row recorded before, during and after the fault must be stored exactly once, by the same
 * process, and the counters must add up.
 *
 * Bug this proves fixed: after the first SQLITE_FULL every later row was silently lost — TypeORM's query runner
 * was left with its transaction open (SQLite had already rolled it back), so later batches went into a
 * savepoint that was never committed: `written` counted 11,000 while 1,000 rows were stored.
 *
 * Where mounting is impossible (not root, no CAP_SYS_ADMIN) the fault is made with `PRAGMA max_page_count` on
 * the collector's own connection (the pragma is per connection, so it must be that one). Under CI=true as
 * root, the tmpfs is required: a failing mount fails the test.
 */
const BATCH = 100;

type Mode = "tmpfs" | "max_page_count";

function tryMount(dir: string): { mode: Mode; why?: string } {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    return { mode: "tmpfs" };
  } catch (error) {
    const why = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    const root = typeof process.getuid === "function" && process.getuid() === 0;
    if (process.env.CI === "true" && root) {
      throw new Error(`CI=true as root: the 1 MB tmpfs must be mountable at ${dir}, but mount failed: ${why}`);
    }
    return { mode: "max_page_count", why };
  }
}

describe("fault: transient disk full (SQLITE_FULL), spill file on another filesystem", () => {
  let mountDir: string;
  let spillDir: string;
  let mode: Mode;
  let mounted = false;
  let collector: CollectorLike | undefined;

  beforeAll(() => {
    assertBuilt();
    mountDir = mkdtempSync(join(tmpdir(), "skill-metrics-diskfull-db-"));
    spillDir = mkdtempSync(join(tmpdir(), "skill-metrics-diskfull-spill-"));
    const result = tryMount(mountDir);
    mode = result.mode;
    mounted = mode === "tmpfs";
    // Says which fault was made, in every run's output.
    console.log(
      mode === "tmpfs"
        ? `disk-full: real 1 MB tmpfs mounted at ${mountDir}`
        : `disk-full: mount impossible (${result.why}); falling back to PRAGMA max_page_count`,
    );
  });

  afterAll(async () => {
    if (collector) await collector.shutdown({ timeoutMillis: 5000 }).catch(() => undefined);
    if (mounted) {
      try {
        execFileSync("umount", [mountDir], { stdio: "pipe" });
      } catch {
        execFileSync("umount", ["-l", mountDir], { stdio: "pipe" });
      }
    }
    rmSync(mountDir, { recursive: true, force: true });
    rmSync(spillDir, { recursive: true, force: true });
  });

  it("rows recorded before, during and after the fault are all stored exactly once (same process)", async () => {
    const { ExecutionMetricsCollector } = loadBuilt();
    const database = join(mountDir, "metrics.db");
    const spillPath = join(spillDir, "metrics.spill.ndjson");
    const errors: string[] = [];
    const started = Date.now();
    collector = await ExecutionMetricsCollector.create({
      database,
      spillPath,
      batchSize: BATCH,
      flushIntervalMillis: 60_000,
      setAsDefault: false,
      onError: (error: unknown) => {
        const e = error as { message?: string; code?: string; cause?: { message?: string; code?: string } };
        errors.push(`${e?.code ?? ""} ${e?.message ?? String(error)} ${e?.cause?.code ?? ""} ${e?.cause?.message ?? ""}`);
      },
    });
    const c = collector;
    if (mode === "max_page_count") {
      const [{ page_count }] = await c.dataSource.query("PRAGMA page_count");
      await c.dataSource.query(`PRAGMA max_page_count = ${Number(page_count) + 16}`);
    }
    const isFull = () => errors.some((text) => /SQLITE_FULL|disk is full/i.test(text));
    const oracle: string[] = [];
    let index = 0;
    const recordBatch = async () => {
      for (let i = 0; i < BATCH; i++) oracle.push(c.record(plainRecord(index++, "disk_full")));
      await c.flush();
    };

    // Before: fill the disk until the database reports it full (bounded: 1 MB holds ~2,000 rows).
    while (!isFull()) {
      await recordBatch();
      if (index > 100_000) throw new Error(`no SQLITE_FULL after ${index} rows; errors: ${errors.slice(0, 3).join(" | ")}`);
    }
    const beforeFault = index;
    // During: the disk stays full; these rows must go to the spill file on the other filesystem.
    for (let b = 0; b < 10; b++) await recordBatch();
    const duringFault = index - beforeFault;
    expect(errors.some((text) => /SQLITE_FULL|disk is full/i.test(text))).toBe(true);

    // The fault ends: the filesystem grows.
    if (mode === "tmpfs") execFileSync("mount", ["-o", `remount,size=${256}m`, mountDir], { stdio: "pipe" });
    else await c.dataSource.query("PRAGMA max_page_count = 1073741823");

    // After: recording goes on; the flushes also replay what was spilled.
    for (let b = 0; b < 10; b++) await recordBatch();
    await c.flush();
    await c.flush();
    const stats = { ...c.stats };
    const count = await countRows(database);
    const report = compareWithOracle(oracle, await storedIdCounts(database));
    console.log(
      `disk-full (${mode}): ${beforeFault} rows before the fault, ${duringFault} during, ${index - beforeFault - duringFault} after; ` +
        `count(*) ${count}; stats ${JSON.stringify(stats)}; ${errors.length} errors reported; ${Date.now() - started} ms`,
    );

    expectEveryOracleIdOnce(report);
    expect(report.notInOracle).toBe(0);
    expect(count).toBe(oracle.length);
    expect({ submitted: stats.submitted, writtenPlusReplayed: stats.written + stats.replayed, dropped: stats.dropped }).toEqual({
      submitted: count,
      writtenPlusReplayed: count,
      dropped: 0,
    });
    expect(stats.spilled).toBeGreaterThan(0);

    await c.shutdown({ timeoutMillis: 10_000 });
    collector = undefined;
  }, 60_000);
});
