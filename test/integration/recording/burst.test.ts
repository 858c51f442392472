import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { track } from "../../../src/tracking/track";

/** Rows in the file as another process sees them (the sqlite3 shell), read synchronously. */
function countWithShell(file: string): number {
  return Number(execFileSync("sqlite3", [file, "SELECT COUNT(*) FROM execution_metrics"]).toString().trim());
}

/**
 * Recording into the collector's own SQLite file goes through its writer thread (see recorderStoreFor in the
 * collector): a user's first micro-benchmark must neither spill nor warn, and rows reach the database while the
 * application's thread is still inside its loop.
 */
describe("recording bursts into a SQLite file", () => {
  let dir: string;
  let file: string;
  let collector: ExecutionMetricsCollector | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-writer-"));
    file = join(dir, "metrics.db");
  });

  afterEach(async () => {
    await collector?.shutdown();
    collector = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("a tight loop of 20,000 tracked calls with default options neither spills nor reports", async () => {
    const problems: unknown[] = [];
    collector = await ExecutionMetricsCollector.create({ database: file, onError: (e) => problems.push(e) });
    for (let i = 0; i < 20_000; i++) track("burst", () => i);
    await collector.flush();
    expect(countWithShell(file)).toBe(20_000);
    expect(collector.stats).toMatchObject({ submitted: 20_000, written: 20_000, spilled: 0, dropped: 0 });
    expect(problems).toEqual([]);
  });

  it("rows are committed while the application's thread is busy in a synchronous loop (the writer thread writes during it)", async () => {
    const problems: unknown[] = [];
    collector = await ExecutionMetricsCollector.create({ database: file, onError: (e) => problems.push(e) });
    // The thread starts with the first write; here it runs the TypeScript sources through ts-node, which takes
    // seconds, so it is started before the loop.
    track("sync_loop", () => -1);
    await collector.flush();
    // One synchronous loop, never yielding to the event loop: the only way its rows can be in the database
    // before it ends is a writer thread. Another process (the sqlite3 shell) counts them from inside the loop.
    let calls = 1;
    let seenDuringLoop = 1;
    while (seenDuringLoop === 1 && calls < 2_000_000) {
      for (let i = 0; i < 5_000; i++) track("sync_loop", () => i);
      calls += 5_000;
      seenDuringLoop = countWithShell(file);
    }
    expect(seenDuringLoop).toBeGreaterThan(1);
    expect(seenDuringLoop).toBeLessThanOrEqual(calls);
    await collector.flush();
    expect(countWithShell(file)).toBe(calls);
    expect(collector.stats).toMatchObject({ submitted: calls, written: calls, spilled: 0, dropped: 0 });
    expect(problems).toEqual([]);
  });
});
