// Records tracked calls through the BUILT package's collector (handleSignals: true) until a signal ends it.
// After every track() call returns, its execution_id is appended to the ORACLE file (a write on an O_APPEND
// descriptor, as fs.appendFileSync does, without reopening the file each time): every id in the oracle was
// recorded before the process died.
// Usage: node fault-signal-child.js <database> <oracle> <full|per-ms>
//   full:   a tight async loop, yielding with setImmediate every 100 calls
//   per-ms: one call per millisecond (setInterval 1)
// Prints "ready <calls>" once recording is under way (the parent signals about a second later).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, track } = require(path.join(dist, "index.js"));

const [database, oracle, mode] = process.argv.slice(2);

let reported = 0;
function onError(error) {
  // Under full load the recorder may report often (queue full → spill): keep stderr bounded.
  if (reported++ < 20) process.stderr.write(`recording problem: ${error && error.message}\n`);
}

async function main() {
  await ExecutionMetricsCollector.create({ database, handleSignals: true, onError });
  const fd = fs.openSync(oracle, "a");
  let calls = 0;
  let readyAt = mode === "full" ? 2000 : 100;
  const one = async () => {
    let id;
    await track("signal_test", async (ctx) => {
      id = ctx.executionId;
      ctx.recordOutputSize(calls);
    });
    fs.writeSync(fd, `${id}\n`);
    calls++;
    if (calls === readyAt) process.stdout.write(`ready ${calls}\n`);
  };
  if (mode === "full") {
    for (;;) {
      for (let i = 0; i < 100; i++) await one();
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else if (mode === "per-ms") {
    setInterval(() => {
      one().catch((error) => {
        console.error(error);
        process.exit(4);
      });
    }, 1);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
