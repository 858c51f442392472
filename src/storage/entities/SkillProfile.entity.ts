import { Column, Entity, PrimaryColumn } from "typeorm";
import { isoTimestampTransformer } from "./timestamp-transformer";

/** Direction of a skill's success rate between the two trend windows. */
export type SuccessRateTrend = "up" | "down" | "stable";

/**
 * Aggregate statistics of one skill: a row of the materialized `skill_profiles` table, written by
 * ProfileService. Every definition (which executions count, the percentile method, the trend rules) is in
 * ProfileService's TSDoc and the README's "Statistics" section; optional means are null when there is no data.
 */
@Entity({ name: "skill_profiles" })
export class SkillProfile {
  @PrimaryColumn({ name: "skill_id", type: "varchar", length: 255 })
  skillId!: string;

  /** When this row was computed, UTC. */
  @Column({ name: "calculated_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  calculatedAt!: Date;

  /** started_at of the newest execution the row covers; a newer one makes the row stale. */
  @Column({
    name: "last_execution_at",
    type: "varchar",
    length: 24,
    nullable: true,
    transformer: isoTimestampTransformer,
  })
  lastExecutionAt!: Date | null;

  @Column({ name: "total_executions", type: "integer" })
  totalExecutions!: number;

  @Column({ name: "successful_executions", type: "integer" })
  successfulExecutions!: number;

  @Column({ name: "failed_executions", type: "integer" })
  failedExecutions!: number;

  @Column({ name: "timeout_executions", type: "integer" })
  timeoutExecutions!: number;

  @Column({ name: "success_rate", type: "double precision", nullable: true })
  successRate!: number | null;

  /** error_category → count over failed and timed-out executions; a null category counts as "unknown". */
  @Column({ name: "failure_categories", type: "simple-json" })
  failureCategories!: Record<string, number>;

  @Column({ name: "mean_duration_ms", type: "double precision", nullable: true })
  meanDurationMs!: number | null;

  @Column({ name: "median_duration_ms", type: "double precision", nullable: true })
  medianDurationMs!: number | null;

  @Column({ name: "p95_duration_ms", type: "double precision", nullable: true })
  p95DurationMs!: number | null;

  @Column({ name: "p99_duration_ms", type: "double precision", nullable: true })
  p99DurationMs!: number | null;

  @Column({ name: "min_duration_ms", type: "double precision", nullable: true })
  minDurationMs!: number | null;

  @Column({ name: "max_duration_ms", type: "double precision", nullable: true })
  maxDurationMs!: number | null;

  @Column({ name: "stddev_duration_ms", type: "double precision", nullable: true })
  stddevDurationMs!: number | null;

  @Column({ name: "total_api_calls", type: "integer" })
  totalApiCalls!: number;

  @Column({ name: "mean_api_calls_per_execution", type: "double precision", nullable: true })
  meanApiCallsPerExecution!: number | null;

  @Column({ name: "total_cost_usd", type: "double precision" })
  totalCostUsd!: number;

  @Column({ name: "mean_cost_per_execution", type: "double precision", nullable: true })
  meanCostPerExecution!: number | null;

  @Column({ name: "mean_correctness_score", type: "double precision", nullable: true })
  meanCorrectnessScore!: number | null;

  /** Mean of output_quality. */
  @Column({ name: "mean_quality_score", type: "double precision", nullable: true })
  meanQualityScore!: number | null;

  @Column({ name: "mean_output_size_bytes", type: "double precision", nullable: true })
  meanOutputSizeBytes!: number | null;

  @Column({ name: "total_feedback_responses", type: "integer" })
  totalFeedbackResponses!: number;

  @Column({ name: "mean_user_satisfaction", type: "double precision", nullable: true })
  meanUserSatisfaction!: number | null;

  @Column({ name: "getting_faster", type: "boolean", nullable: true })
  gettingFaster!: boolean | null;

  @Column({ name: "getting_cheaper", type: "boolean", nullable: true })
  gettingCheaper!: boolean | null;

  @Column({ name: "success_rate_trend", type: "varchar", length: 8, nullable: true })
  successRateTrend!: SuccessRateTrend | null;

  /**
   * Of the finished executions that had a latency budget, the share that took at most it; null when none had one.
   */
  @Column({ name: "latency_acceptable_rate", type: "double precision", nullable: true })
  latencyAcceptableRate!: number | null;
}
