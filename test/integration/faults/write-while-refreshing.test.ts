import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, runChild, SCRIPTS, taggedJson } from "./fault-support";

/**
 * Fault: the application refreshes profiles (writes to skill_profiles on the collector's connection) and
 * queries while it records. The file must stay sound: PRAGMA integrity_check "ok", every recorded row stored.
 *
 * Bug this proves fixed: with a writer thread on better-sqlite3 beside node-sqlite3's connection — two SQLite
 * libraries in one process, which cannot see each other's POSIX locks — this corrupted the file within
 * seconds (SQLITE_CORRUPT, "2nd reference to page"; reproduced against that build).
 */
describe("fault: recording while the same process refreshes profiles", () => {
  beforeAll(() => assertBuilt());

  it("the database passes integrity_check and holds every recorded row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-refreshing-"));
    try {
      const { ended } = runChild(join(SCRIPTS, "record-while-refreshing.js"), [join(dir, "metrics.db")], { timeoutMillis: 90_000 });
      const done = await ended;
      if (done.timedOut || done.code !== 0) throw new Error(`child: code ${done.code}, timedOut ${done.timedOut}\n${done.stderr.slice(-3000)}`);
      const result = taggedJson<{ integrity: string; rows: number; refreshes: number; stats: { submitted: number; written: number } }>(done.stdout, "result");
      expect(result.refreshes).toBeGreaterThan(0);
      expect(result.integrity).toBe("ok");
      // Every recorded row is stored (written, or spilled and replayed by the flush when the queue was full).
      expect(result.rows).toBe(result.stats.submitted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
