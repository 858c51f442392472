import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import type { ErrorClassifier } from "../../../src/tracking/classify-error";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import type { ExecutionSink } from "../../../src/tracking/ExecutionSink";
import { validateMetricRecord } from "../../../src/validation/validate-record";

/**
 * A real in-memory ExecutionSink for tests. Every submitted row is checked with validateMetricRecord (rows
 * built by the SDK must be valid by construction); rows that fail land in `invalid` with their error.
 */
export class CapturingSink implements ExecutionSink {
  readonly rows: ExecutionMetricRow[] = [];
  readonly errors: unknown[] = [];
  readonly invalid: Array<{ row: ExecutionMetricRow; error: unknown }> = [];
  classifyError?: ErrorClassifier;
  environment?: string | null;
  agentId?: string | null;

  submit(row: ExecutionMetricRow): void {
    try {
      validateMetricRecord(JSON.parse(JSON.stringify(row)));
    } catch (error) {
      this.invalid.push({ row, error });
    }
    this.rows.push(row);
  }

  reportError(error: unknown): void {
    this.errors.push(error);
  }

  /** The only row of `skillId`; fails the test if there is not exactly one. */
  only(skillId: string): ExecutionMetricRow {
    const rows = this.rows.filter((r) => r.skill_id === skillId);
    if (rows.length !== 1) throw new Error(`expected one row of ${skillId}, found ${rows.length}: ${JSON.stringify(this.rows.map((r) => r.skill_id))}`);
    return rows[0];
  }
}

/**
 * Installs a fresh CapturingSink as the default sink before each test (handing it to `receive`), and after
 * each test checks that every row it captured was valid, then unsets it.
 */
export function useCapturingSink(receive: (sink: CapturingSink) => void): void {
  let current: CapturingSink;
  beforeEach(() => {
    current = new CapturingSink();
    receive(current);
    setDefaultSink(current);
  });
  afterEach(() => {
    expect(current.invalid).toEqual([]);
    setDefaultSink(null);
  });
}
