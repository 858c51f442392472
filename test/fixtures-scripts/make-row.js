// A valid finished row whose execution_id encodes a run number and an index, so a test can tell from the ids
// alone which rows of which run arrived (and that none arrived twice). Plain JavaScript so that child-process
// scripts can use it too; test/unit/recording/make-row.ts gives it types. `overrides` replace fields.
"use strict";

function makeRow(index, run = 0, overrides = {}) {
  const started = new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + index);
  return {
    execution_id: `${run.toString(16).padStart(8, "0")}-0000-7000-8000-${index.toString(16).padStart(12, "0")}`,
    metric_version: "1.0",
    skill_id: "exit_test",
    job_id: null,
    parent_execution_id: null,
    started_at: started.toISOString(),
    completed_at: new Date(started.getTime() + 5).toISOString(),
    total_duration_ms: 5,
    status: "success",
    input_size_bytes: null,
    input_hash: null,
    input_complexity: null,
    input_summary: null,
    output_size_bytes: index,
    output_quality: null,
    output_summary: null,
    api_calls_count: 0,
    api_calls_cost_usd: 0,
    memory_used_mb: null,
    cpu_usage_percent: null,
    tokens_in: null,
    tokens_out: null,
    model_name: null,
    temperature: null,
    error_occurred: false,
    error_category: null,
    error_message: null,
    error_trace: null,
    warning_count: 0,
    warnings: [],
    validation_passed: true,
    correctness_score: null,
    user_feedback_received: false,
    user_satisfaction: null,
    agent_id: null,
    environment: "test",
    notes: null,
    tags: [],
    variant: null,
    experiment_id: null,
    latency_acceptable: null,
    ...overrides,
  };
}

module.exports = { makeRow };
