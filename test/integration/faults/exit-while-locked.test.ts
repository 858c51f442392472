import { assertBuilt } from "./fault-support";
import { runLockScenario } from "./lock-scenario";

/**
 * Fault: the application calls process.exit(0) while a write waits for SQLite's write lock, which another
 * process holds for 10 s. The process must end with its own exit code — at the latest when the waiting write
 * gives up (the busy timeout, 5 s) — the exit hook saving the rows,
 * and after the release a restart must store every recorded row exactly once.
 *
 * Bug this proves fixed: with the earlier writer thread (better-sqlite3) the process died of SIGABRT ("FATAL
 * ERROR: v8::ToLocalChecked Empty MaybeLocal") — the thread was ended while the driver slept in SQLite's busy
 * handler. SQLite files are now written on the collector's own connection.
 */
describe("fault: process.exit() while a write waits for a held write lock", () => {
  beforeAll(() => assertBuilt());

  it("the process exits with code 0 within the busy timeout; after the release a restart stores every row exactly once", async () => {
    await runLockScenario({ hold: 10_000, rows: 1000, shutdownTimeoutMillis: "exit" });
  }, 120_000);
});
