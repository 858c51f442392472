// Records rows through the BUILT package's collector (default options) while another process holds the
// write lock, then calls shutdown({ timeoutMillis }) and reports how long it took. Each execution_id is
// appended to the ORACLE file right after record() returns.
// Usage: node fault-lock-child.js <database> <oracle> <rows> <timeoutMillis | exit>
// Protocol: prints "created" once the database exists (migrated); waits for a line on stdin (the parent
// takes the lock meanwhile); records; prints `shutdown {"millis":…,"stats":…}`; then ends by itself.
// With "exit" instead of a timeout: records, starts a flush (the write then waits for the lock),
// prints "exiting" and calls process.exit(0) 300 ms later, without shutdown().
"use strict";
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector } = require(path.join(dist, "index.js"));
const { recordWithOracle } = require("./record-with-oracle");

const [database, oracle, rowsArg, timeoutArg] = process.argv.slice(2);

let reported = 0;
function onError(error) {
  if (reported++ < 20) process.stderr.write(`recording problem: ${error && error.message}\n`);
}

async function main() {
  const collector = await ExecutionMetricsCollector.create({ database, onError });
  process.stdout.write("created\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
  process.stdin.unref?.();
  recordWithOracle(collector, oracle, Number(rowsArg), "lock_test", Date.UTC(2026, 10, 27, 12, 0, 0));
  if (timeoutArg === "exit") {
    void collector.flush();
    process.stdout.write("exiting\n");
    setTimeout(() => process.exit(0), 300);
    return;
  }
  const t = Date.now();
  await collector.shutdown({ timeoutMillis: Number(timeoutArg) });
  const millis = Date.now() - t;
  process.stdout.write(`shutdown ${JSON.stringify({ millis, stats: collector.stats })}\n`);
  process.on("exit", (code) => process.stdout.write(`exit ${code}\n`));
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
