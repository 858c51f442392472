import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assertBuilt,
  compareWithOracle,
  expectEveryOracleIdOnce,
  faultEvidence,
  readOracle,
  restartInChild,
  runChild,
  SCRIPTS,
  storedIdCounts,
} from "./fault-support";

/**
 * Fault: process.exit() while the SQLite writer thread writes. The thread uses node-sqlite3, which aborts the
 * whole process (exit code 134, "napi_throw") when a thread is torn down with a driver call in flight; the
 * collector's exit listener waits for the call in flight and lets no other start (recording/writer/call-gate.ts).
 * Children record at full speed and exit at different moments of the stream; each must exit with code 0, and
 * after a restart every id of its oracle must be stored exactly once (rows the thread had not committed were
 * spilled at the exit; rows it committed just before are skipped by the replay).
 */
const CHILD = join(SCRIPTS, "exit-while-writing.js");

describe("fault: process.exit() while the writer thread writes", () => {
  const dirs: string[] = [];
  beforeAll(() => assertBuilt());
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent.each([150, 400, 900, 1600])(
    "exit after %i ms of recording: exit code 0, and every oracle id stored once after a restart",
    async (millis) => {
      const dir = mkdtempSync(join(tmpdir(), `skill-metrics-exit-writing-${millis}-`));
      dirs.push(dir);
      const database = join(dir, "metrics.db");
      const oracle = join(dir, "oracle.txt");
      const done = await runChild(CHILD, [database, oracle, String(millis)], { timeoutMillis: 60_000 }).ended;
      if (done.timedOut || done.code !== 0) {
        throw new Error(`child ended with code ${done.code}, signal ${done.signal}:\n${done.stderr.slice(-3000)}`);
      }
      const ids = readOracle(oracle);
      const restart = await restartInChild(database, `${database}.spill.ndjson`);
      const report = compareWithOracle(ids, await storedIdCounts(database));
      console.log(`exit after ${millis} ms: ${ids.length} calls, restart replayed ${restart.result.stats.replayed}; ${JSON.stringify(report)}`);
      expect(ids.length).toBeGreaterThan(0);
      expectEveryOracleIdOnce(report, () => faultEvidence(dir, { child: done, restart: restart.ended }));
      // The oracle is written after each chunk of calls: the exit comes after a chunk's line, so nothing is unlisted.
      expect(report.notInOracle).toBe(0);
    },
    120_000,
  );
});
