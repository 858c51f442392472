// One of several processes recording into ONE database (PostgreSQL by URL, or a SQLite file) through the BUILT
// package's ExecutionMetricsCollector, with 8 async workers in this process, each execution tracked with
// track() and a unique note "p<process>-i<index>" so that the parent can check each one was stored once.
// Usage: node pg-writer.js <postgres://… URL | SQLite path> <process index> <executions>
// The workers run rounds of 1,000 executions and then wait for metrics.flush(): the backpressure an application
// applies when it produces faster than any database writes (unpaced, the bounded queue would overflow and spill,
// by design). Each process has its own spill file in the temp directory (a shared one would be replayed by all).
// On exit prints one JSON line: { "process", "executions", "errors", "errorMessages", "stats" }.
"use strict";
const os = require("node:os");
const path = require("node:path");
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, track } = require(path.join(dist, "index.js"));

const [target, processArg, countArg] = process.argv.slice(2);
const processIndex = Number(processArg);
const total = Number(countArg);
const WORKERS = 8;
const ROUND = 1000;

async function main() {
  const errors = [];
  const where = /^postgres(ql)?:\/\//.test(target) ? { url: target } : { database: target, busyTimeoutMillis: 30000 };
  const spillPath = path.join(os.tmpdir(), `skill-metrics-pg-writer-${process.pid}.spill.ndjson`);
  const metrics = await ExecutionMetricsCollector.create({ ...where, spillPath, onError: (error) => errors.push(error) });
  let executions = 0;
  for (let start = 0; start < total; start += ROUND) {
    const end = Math.min(start + ROUND, total);
    let next = start;
    const worker = async () => {
      while (next < end) {
        const note = `p${processIndex}-i${next++}`;
        await track("concurrent_pg", async (ctx) => {
          ctx.note(note).recordOutputSize(note.length);
        });
        executions++;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await metrics.flush();
  }
  await metrics.shutdown();
  process.stdout.write(
    JSON.stringify({
      process: processIndex,
      executions,
      errors: errors.length,
      errorMessages: errors.slice(0, 5).map((e) => String(e && e.message)),
      stats: metrics.stats,
    }) + "\n",
  );
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + "\n");
  process.exit(1);
});
