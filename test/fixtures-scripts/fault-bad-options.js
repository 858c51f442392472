// Calls ExecutionMetricsCollector.create() of the BUILT package with one invalid option, in a process of its
// own, and prints `result {json}`: what create() did, the process listeners before and after, and the files
// in the directory. Then it returns WITHOUT process.exit(): the parent checks that the process ends by itself
// (nothing left open by a create() that was refused).
// Usage: node fault-bad-options.js <fresh directory> <option name> <JSON value>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, ConfigurationError } = require(path.join(dist, "index.js"));

const [dir, option, valueJson] = process.argv.slice(2);
const EVENTS = ["exit", "beforeExit", "SIGINT", "SIGTERM", "uncaughtException", "unhandledRejection"];
const listeners = () => Object.fromEntries(EVENTS.map((event) => [event, process.listenerCount(event)]));

async function main() {
  const before = listeners();
  const database = path.join(dir, "metrics.db");
  const result = { option, before };
  try {
    const collector = await ExecutionMetricsCollector.create({
      database,
      setAsDefault: false,
      onError: () => undefined,
      [option]: JSON.parse(valueJson),
    });
    result.outcome = "resolved";
    // Accepted: leave the process clean anyway, so the parent's failure is about the option, not a hang.
    await collector.shutdown();
  } catch (error) {
    result.outcome = "rejected";
    result.name = error && error.name;
    result.isConfigurationError = error instanceof ConfigurationError;
    result.message = error && error.message;
  }
  result.after = listeners();
  result.files = fs.readdirSync(dir);
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
