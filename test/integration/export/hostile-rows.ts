import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { LIMITS } from "../../../src/model/limits";
import { validateMetricRecord } from "../../../src/validation/validate-record";

/** A valid, complete row; `overrides` replace fields. Ids are derived from `n` so that tests are deterministic. */
export function makeRow(n: number, overrides: Partial<ExecutionMetricRow> = {}): ExecutionMetricRow {
  const started = new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + n * 1000);
  return validateMetricRecord({
    execution_id: `0190a000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`,
    skill_id: n % 2 === 0 ? "csv_reader" : "llm_call",
    job_id: `job-${Math.floor(n / 10)}`,
    started_at: started.toISOString(),
    completed_at: new Date(started.getTime() + 250).toISOString(),
    total_duration_ms: 250.125 + n,
    status: "success",
    api_calls_count: n % 3,
    api_calls_cost_usd: (n % 3) * 0.0015,
    tags: ["export-test"],
    ...overrides,
  });
}

/** Rows with every value an export must survive: quoting, formulas, unicode, long text, awkward numbers. */
export function hostileRows(): ExecutionMetricRow[] {
  const long = "x,\"y\"\n".repeat(2000); // 10 KB with separators, quotes and line breaks
  return [
    makeRow(1, {
      notes: 'He said "hi", then left\r\nnext line',
      input_summary: "a,b\nc",
      variant: 'B,"q"\r\n🚀',
      experiment_id: "exp-2026-11",
      latency_acceptable: true,
    }),
    makeRow(2, {
      notes: "=cmd|' /C calc'!A0",
      job_id: "+1-555",
      model_name: "@SUM(A1)",
      agent_id: "-2+3",
      variant: "=B1",
      experiment_id: "@exp",
      latency_acceptable: false,
    }),
    makeRow(3, { notes: "\tTAB first", input_summary: "\rCR first", output_summary: "'already quoted" }),
    makeRow(4, { notes: "unicode: żółć 日本語 🎉 e\u0301", tags: ["ünï", "a,b", 'q"t', "=1+1"], warnings: ["w1\nline2", "-w2"] }),
    makeRow(5, {
      error_trace: long,
      status: "failure",
      error_occurred: true,
      error_category: "api_error",
      error_message: "boom",
      variant: "baseline",
      latency_acceptable: true,
    }),
    makeRow(6, {
      total_duration_ms: 0.1 + 0.2,
      input_complexity: 1e-7,
      memory_used_mb: -1.5,
      output_size_bytes: LIMITS.maxCount,
      tokens_in: LIMITS.maxCount - 7,
      api_calls_cost_usd: 1e21,
      temperature: 0,
      cpu_usage_percent: 123456789.125,
      correctness_score: 1,
      output_quality: 0.7999999999999999,
    }),
    makeRow(7, { notes: "", job_id: "", input_summary: null, user_feedback_received: true, user_satisfaction: 5, validation_passed: false }),
    makeRow(8, { status: "running", completed_at: null, total_duration_ms: null, input_complexity: -0.25, notes: "-0.25" }),
  ];
}
