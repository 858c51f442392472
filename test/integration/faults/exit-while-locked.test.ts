import { assertBuilt } from "./fault-support";
import { runLockScenario } from "./lock-scenario";

/**
 * Fault: the application calls process.exit(0) while the recorder's writer thread waits for SQLite's write
 * lock, which another process holds for 10 s. The process must end at once with its own exit code, the exit
 * hook saving the rows, and after the release a restart must store every recorded row exactly once.
 *
 * Bug this proves fixed: the process died of SIGABRT ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal") —
 * the thread was ended while better-sqlite3 slept in SQLite's busy handler, and the failing statement could
 * not create its error in a terminating thread. The writer now waits for the lock in a loop of its own.
 */
describe("fault: process.exit() while the writer thread waits for a held write lock", () => {
  beforeAll(() => assertBuilt());

  it("the process exits with code 0 at once; after the release a restart stores every row exactly once", async () => {
    await runLockScenario({ hold: 10_000, rows: 1000, shutdownTimeoutMillis: "exit" });
  }, 120_000);
});
