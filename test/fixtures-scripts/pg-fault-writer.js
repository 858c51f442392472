// Records executions into PostgreSQL through the BUILT package while a test breaks the server (stops, freezes,
// locks, starves it), and keeps an ORACLE: every execution_id is appended to a file, one per line, right after
// the call that recorded it returned. The parent later checks that each oracle id is stored exactly once.
//
// Usage: node pg-fault-writer.js <postgres:// URL> <spill path> <oracle path> [options JSON]
//   options: { writeTimeoutMillis (default 2000), shutdownTimeoutMillis (default 2000), perTick (default 10),
//              paceMillis (default 20), collector: extra ExecutionMetricsCollector.create() options }
// Even executions use track("pg_fault", …) (id from ctx.executionId), odd ones collector.record({…}) (the id it
// returns). Runs until the parent writes a line to stdin; then `await collector.shutdown({ timeoutMillis })`.
// stdout, one JSON object per line:
//   { "ready": true }                                   once create() resolved
//   { "progress": n, "stats": {…} }                      every 100 ms (n: executions recorded so far)
//   { "done": true, "executions", "stats", "shutdownMillis", "errors", "errorSamples" }   at the end
//   { "createError": { name, message, code, sqlState } }  when create() rejects (exit code 2)
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, track } = require(path.join(dist, "index.js"));
const { makeRow } = require("./make-row.js");

const [url, spillPath, oraclePath, optionsJson] = process.argv.slice(2);
const options = optionsJson ? JSON.parse(optionsJson) : {};
const writeTimeoutMillis = options.writeTimeoutMillis ?? 2000;
const shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? 2000;
const perTick = options.perTick ?? 10;
const paceMillis = options.paceMillis ?? 20;

const print = (object) => process.stdout.write(JSON.stringify(object) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const describeError = (e) => ({
  name: e && e.name,
  message: String(e && e.message ? e.message : e),
  code: e && e.code,
  sqlState: e && e.sqlState,
});

async function main() {
  const errors = [];
  let collector;
  try {
    collector = await ExecutionMetricsCollector.create({
      url,
      spillPath,
      writeTimeoutMillis,
      onError: (error) => errors.push(error),
      ...(options.collector || {}),
    });
  } catch (error) {
    print({ createError: describeError(error) });
    process.exit(2);
  }
  print({ ready: true });

  let stopping = false;
  process.stdin.setEncoding("utf8").once("data", () => (stopping = true));
  let executions = 0;
  const progress = setInterval(() => print({ progress: executions, stats: collector.stats }), 100);

  const oracle = fs.openSync(oraclePath, "a");
  while (!stopping) {
    for (let i = 0; i < perTick; i++) {
      const n = executions;
      let id;
      if (n % 2 === 0) {
        await track("pg_fault", async (ctx) => {
          id = ctx.executionId;
          ctx.note(`fault-${n}`);
        });
      } else {
        id = collector.record({ ...makeRow(n, 0, { skill_id: "pg_fault_record", notes: `fault-${n}` }), execution_id: undefined });
      }
      fs.appendFileSync(oracle, id + "\n");
      executions++;
    }
    await sleep(paceMillis);
  }
  fs.closeSync(oracle);
  clearInterval(progress);
  print({ progress: executions, stats: collector.stats });

  const started = Date.now();
  await collector.shutdown({ timeoutMillis: shutdownTimeoutMillis });
  const shutdownMillis = Date.now() - started;
  print({
    done: true,
    executions,
    stats: collector.stats,
    shutdownMillis,
    errors: errors.length,
    errorSamples: [...new Set(errors.map((e) => `${e && e.name}: ${e && e.message}`.slice(0, 300)))].slice(0, 5),
  });
  process.stdin.destroy();
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + "\n");
  process.exit(1);
});
