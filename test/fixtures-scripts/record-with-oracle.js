// Records `count` finished executions through collector.record() and appends each execution_id to the ORACLE
// file right after record() returns: every id in the oracle was recorded before the process could die.
// Shared by the fault-test child scripts.
"use strict";
const fs = require("node:fs");

/**
 * @param collector an ExecutionMetricsCollector of the built package
 * @param oracle path of the oracle file (appended to)
 * @param count executions to record
 * @param skillId their skill_id
 * @param startMillis started_at of the first one (each next one 1 ms later), in epoch milliseconds
 */
function recordWithOracle(collector, oracle, count, skillId, startMillis) {
  const fd = fs.openSync(oracle, "a");
  try {
    for (let i = 0; i < count; i++) {
      const started = new Date(startMillis + i);
      const id = collector.record({
        skill_id: skillId,
        started_at: started.toISOString(),
        completed_at: new Date(started.getTime() + 5).toISOString(),
        total_duration_ms: 5,
        status: "success",
      });
      fs.writeSync(fd, `${id}\n`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { recordWithOracle };
