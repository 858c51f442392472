// Records tracked calls through the BUILT package's collector while, on the same collector, profile refreshes
// (writes to skill_profiles on the application's connection) and queries run, then reports PRAGMA
// integrity_check. Usage: node record-while-refreshing.js <database>
// Prints `result {"integrity":…,"rows":…,"stats":…}`.
"use strict";
const path = require("node:path");
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, track } = require(path.join(dist, "index.js"));

async function main() {
  const [database] = process.argv.slice(2);
  const collector = await ExecutionMetricsCollector.create({ database, onError: (e) => process.stderr.write(`problem: ${e.message}\n`) });
  let recording = true;
  const recorder = (async () => {
    for (let round = 0; recording; round++) {
      for (let i = 0; i < 100; i++) track(`skill_${i % 7}`, () => i);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const until = Date.now() + 3000;
  let refreshes = 0;
  while (Date.now() < until) {
    await collector.getSkillProfiles();
    refreshes++;
  }
  recording = false;
  await recorder;
  await collector.flush();
  const [{ integrity_check: integrity }] = await collector.dataSource.query("PRAGMA integrity_check");
  const [{ n }] = await collector.dataSource.query("SELECT COUNT(*) AS n FROM execution_metrics");
  const stats = collector.stats;
  await collector.shutdown();
  process.stdout.write(`result ${JSON.stringify({ integrity, rows: n, refreshes, stats })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
