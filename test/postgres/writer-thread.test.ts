import { execFileSync } from "node:child_process";
import { ExecutionMetricsCollector } from "../../src/ExecutionMetricsCollector";
import { track } from "../../src/tracking/track";
import { createPgDatabase, describePg, type PgTestDatabase } from "./pg-database";

/** Rows in the table as another process sees them (psql), read synchronously. */
function countWithPsql(url: string): number {
  return Number(execFileSync("psql", [url, "-tAc", "SELECT COUNT(*) FROM execution_metrics"]).toString().trim());
}

/**
 * The recorder's writer thread on PostgreSQL (a collector given a URL): rows are committed while the
 * application's thread never yields, and the writes keep their transaction semantics.
 */
describePg("the writer thread (PostgreSQL by URL)", () => {
  let database: PgTestDatabase;
  let collector: ExecutionMetricsCollector | undefined;

  beforeEach(async () => {
    database = await createPgDatabase("writer_thread");
  });

  afterEach(async () => {
    await collector?.shutdown();
    collector = undefined;
    await database.drop();
  });

  it("commits rows while the application's thread is busy in a synchronous loop", async () => {
    const problems: unknown[] = [];
    collector = await ExecutionMetricsCollector.create({
      url: database.url,
      spillPath: null,
      setAsDefault: true,
      maxQueueSize: 1_000_000,
      onError: (e) => problems.push(e),
    });
    // The loop never yields: only a thread of its own can commit meanwhile. It stops when another process sees
    // rows (or after 30 s, which fails the test).
    const deadline = Date.now() + 30_000;
    let calls = 0;
    let seenDuringLoop = 0;
    while (seenDuringLoop === 0 && Date.now() < deadline) {
      for (let i = 0; i < 500; i++) track("sync_loop", () => calls++);
      seenDuringLoop = countWithPsql(database.url);
    }
    expect(seenDuringLoop).toBeGreaterThan(0);
    expect(seenDuringLoop).toBeLessThan(calls);
    await collector.flush();
    expect(countWithPsql(database.url)).toBe(calls);
    expect(collector.stats).toMatchObject({ submitted: calls, written: calls, spilled: 0, dropped: 0 });
    expect(problems).toEqual([]);
  });
});
