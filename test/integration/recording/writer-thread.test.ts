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

describe("the writer thread (SQLite file)", () => {
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

  it("commits rows while the application's thread is busy in a synchronous loop", async () => {
    const problems: unknown[] = [];
    collector = await ExecutionMetricsCollector.create({ database: file, maxQueueSize: 1_000_000, onError: (e) => problems.push(e) });
    // The loop never yields: only a thread of its own can commit meanwhile. It stops when another process sees
    // rows (or after 30 s, which fails the test).
    const deadline = Date.now() + 30_000;
    let calls = 0;
    let seenDuringLoop = 0;
    while (seenDuringLoop === 0 && Date.now() < deadline) {
      for (let i = 0; i < 500; i++) track("sync_loop", () => calls++);
      seenDuringLoop = countWithShell(file);
    }
    expect(seenDuringLoop).toBeGreaterThan(0);
    expect(seenDuringLoop).toBeLessThan(calls);
    await collector.flush();
    expect(countWithShell(file)).toBe(calls);
    expect(collector.stats).toMatchObject({ submitted: calls, written: calls, spilled: 0, dropped: 0 });
    expect(problems).toEqual([]);
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
});
