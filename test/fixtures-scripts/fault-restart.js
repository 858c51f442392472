// The "next start" of the fault tests: opens a collector on a database and spill path (create() replays the
// spill), flushes, shuts down, and prints `restarted {"stats":…,"createMillis":…,"flushMillis":…,"shutdownMillis":…}`.
// Usage: node fault-restart.js <database> <spillPath>
"use strict";
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector } = require(path.join(dist, "index.js"));

const [database, spillPath] = process.argv.slice(2);

async function main() {
  let t = Date.now();
  const collector = await ExecutionMetricsCollector.create({
    database,
    spillPath,
    setAsDefault: false,
    onError: (error) => process.stderr.write(`recording problem: ${error && error.message}\n`),
  });
  const createMillis = Date.now() - t;
  t = Date.now();
  await collector.flush();
  const flushMillis = Date.now() - t;
  const stats = collector.stats;
  t = Date.now();
  // No deadline: this start has the database to itself and must store everything.
  await collector.shutdown();
  const shutdownMillis = Date.now() - t;
  process.stdout.write(`restarted ${JSON.stringify({ stats, createMillis, flushMillis, shutdownMillis })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
