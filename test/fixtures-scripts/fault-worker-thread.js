// Calls ExecutionMetricsCollector.create() of the BUILT package inside a worker thread and prints, from the
// main thread, `result {json}` with what create() did there and the files in the directory. Run in a process
// of its own: should create() succeed in the worker, a worker.terminate() with sqlite work in flight would
// abort the whole process (rc 134) — so the worker shuts its collector down itself before answering.
// Usage: node fault-worker-thread.js <fresh directory>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Worker, isMainThread, parentPort, workerData } = require("node:worker_threads");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");

if (isMainThread) {
  const dir = process.argv[2];
  const worker = new Worker(__filename, { workerData: { dir } });
  worker.once("message", (result) => {
    result.files = fs.readdirSync(dir);
    process.stdout.write(`result ${JSON.stringify(result)}\n`);
  });
  worker.once("error", (error) => {
    console.error(error);
    process.exitCode = 4;
  });
  worker.once("exit", (code) => process.stdout.write(`worker-exit ${code}\n`));
} else {
  (async () => {
    const { ExecutionMetricsCollector, ConfigurationError } = require(path.join(dist, "index.js"));
    const result = {};
    try {
      const collector = await ExecutionMetricsCollector.create({
        database: path.join(workerData.dir, "metrics.db"),
        setAsDefault: false,
        onError: () => undefined,
      });
      result.outcome = "resolved";
      await collector.shutdown();
    } catch (error) {
      result.outcome = "rejected";
      result.name = error && error.name;
      result.isConfigurationError = error instanceof ConfigurationError;
      result.message = error && error.message;
    }
    parentPort.postMessage(result);
  })();
}
