import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";

// The one definition of a test row lives in plain JavaScript, for the child-process scripts too.
const shared = require("../../fixtures-scripts/make-row.js") as {
  makeRow(index: number, run: number, overrides: Partial<ExecutionMetricRow>): ExecutionMetricRow;
};

/**
 * A valid finished row whose execution_id encodes `run` (8 hex digits) and `index`, so a test can tell from
 * the ids alone which rows of which run arrived (and that none arrived twice).
 */
export function makeRow(index: number, run = 0): ExecutionMetricRow {
  return shared.makeRow(index, run, { skill_id: "recorder_test", tags: ["recorder"] });
}

/** Makes rows `from` … `from + count - 1` of a run. */
export function makeRows(count: number, run = 0, from = 0): ExecutionMetricRow[] {
  return Array.from({ length: count }, (_unused, i) => makeRow(from + i, run));
}
