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
 * Recording into a SQLite file goes through the collector's own connection (no writer thread: see
 * recorderStoreFor in the collector). A user's first micro-benchmark must still neither spill nor warn.
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
});
