import { assertBuilt } from "./fault-support";
import { runLockScenario } from "./lock-scenario";

/**
 * Fault (deadlines, b): another process holds SQLite's write lock for 20 s — longer than the default busy
 * timeout (5 s) and than the shutdown deadline. With default options, collector.shutdown({ timeoutMillis: 2000 })
 * must return in < 5 s, the process must then end by itself, and after the lock is released a restart must
 * store every recorded row exactly once. Its own file because it needs 20 real seconds (jest runs files in
 * parallel). Bug this proves fixed: shutdown() waited for the locked write (and its retries) without bound.
 */
describe("fault: the write lock held 20 s by another process", () => {
  beforeAll(() => assertBuilt());

  it("shutdown({ timeoutMillis: 2000 }) returns in < 5 s; after the release a restart stores every row exactly once", async () => {
    await runLockScenario({ hold: 20_000, rows: 1000, shutdownTimeoutMillis: 2000 });
  }, 120_000);
});
