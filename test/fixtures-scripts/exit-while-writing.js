// Records tracked calls through the BUILT package's collector (its SQLite writer thread) at full speed, and
// calls process.exit(0) after <millis> ms, in the middle of the stream: the writer thread then has a
// node-sqlite3 call in flight or about to start. Each call's execution_id is appended to the ORACLE file
// once its track() call has returned. The exit must be code 0 (a thread torn down with a call in flight
// aborts the process with 134) and every oracle id must be stored after a restart.
// Usage: node exit-while-writing.js <database> <oracle> <millis>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, track } = require(path.join(dist, "index.js"));

const [database, oracle, millis] = process.argv.slice(2);

async function main() {
  await ExecutionMetricsCollector.create({ database, onError: (error) => process.stderr.write(`recording problem: ${error.message}\n`) });
  const fd = fs.openSync(oracle, "a");
  const exitAt = Date.now() + Number(millis);
  for (;;) {
    let ids = "";
    for (let i = 0; i < 250; i++) {
      track("exit_test", (ctx) => {
        ids += `${ctx.executionId}\n`;
      });
    }
    fs.writeSync(fd, ids);
    if (Date.now() >= exitAt) process.exit(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
