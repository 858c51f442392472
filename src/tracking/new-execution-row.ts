import { type ExecutionMetricRow, METRIC_VERSION } from "../model/execution-metric-columns";
import type { TrackingSpec } from "./tracking-options";
import { uuidv7 } from "./uuid-v7";

/** The empty warnings of a new row: one frozen array shared by every row until its first warning. */
export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** What a new execution inherits from the execution enclosing it. */
export interface EnclosingExecution {
  readonly executionId: string;
  readonly jobId: string | null;
}

/**
 * The row of an execution that has just started: a new UUIDv7, status "running", the options' agent,
 * environment, tags, variant and experiment, the job and parent given or inherited from `parent`, everything measured still
 * empty. One literal with every column in documented order: the row handed to the sink, built once.
 * @internal
 */
export function newExecutionRow(
  skillId: string,
  spec: TrackingSpec,
  parent: EnclosingExecution | undefined,
  executionId?: string,
): ExecutionMetricRow {
  return {
    // Given when the id was drawn earlier (the span processor draws it when the span starts).
    execution_id: executionId ?? uuidv7(),
    metric_version: METRIC_VERSION,
    skill_id: skillId,
    job_id: spec.jobId ?? (parent === undefined ? null : parent.jobId),
    parent_execution_id: spec.parentExecutionId ?? (parent === undefined ? null : parent.executionId),
    started_at: "",
    completed_at: null,
    total_duration_ms: null,
    status: "running",
    input_size_bytes: null,
    input_hash: null,
    input_complexity: null,
    input_summary: null,
    output_size_bytes: null,
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
    warnings: NO_STRINGS as string[],
    validation_passed: true,
    correctness_score: null,
    user_feedback_received: false,
    user_satisfaction: null,
    agent_id: spec.agentId,
    environment: spec.environment,
    notes: null,
    tags: spec.tags as string[],
    variant: spec.variant,
    experiment_id: spec.experimentId,
    latency_acceptable: null,
  };
}
