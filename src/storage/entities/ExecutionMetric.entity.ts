import { Expose, Transform } from "class-transformer";
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
} from "class-validator";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { COLUMN_RULES } from "../../model/column-rules";
import { EXECUTION_STATUSES, type ExecutionStatus, METRIC_VERSION } from "../../model/execution-metric-columns";
import { LIMITS } from "../../model/limits";
import { isoTimestampTransformer, isRealIsoTimestamp } from "./timestamp-transformer";
import { MaxLength, MinLength } from "./code-unit-length";

const finite = { allowNaN: false, allowInfinity: false };

/**
 * Turns an ISO-8601 string naming a real instant into a Date; anything else (2026-02-30 too) stays as it is, so that a malformed value is refused by
 * @IsDate with its field named rather than silently becoming an Invalid Date.
 */
const toDate = ({ value }: { value: unknown }) =>
  typeof value === "string" && isRealIsoTimestamp(value) ? new Date(value) : value;

/**
 * One execution of one skill: the collection unit of the specification.
 *
 * Properties are camelCase; columns, CSV headers and JSON keys are snake_case (class-transformer's `@Expose`
 * maps between the two). The class-validator rules here are the single definition of a valid record.
 * The indexes repeat the migrations' (where each one is justified), so that the schema-agreement test holds.
 */
@Entity({ name: "execution_metrics" })
@Index("IDX_execution_metrics_skill_started", ["skillId", "startedAt", "executionId", "status", "totalDurationMs", "apiCallsCostUsd"])
@Index("IDX_execution_metrics_status", ["status", "skillId", "errorCategory"])
@Index("IDX_execution_metrics_status_started", ["status", "startedAt", "executionId"])
@Index("IDX_execution_metrics_started", ["startedAt", "executionId"])
@Index("IDX_execution_metrics_error_occurred", ["errorOccurred"])
@Index("IDX_execution_metrics_error_category", ["errorCategory", "startedAt", "executionId"])
@Index("IDX_execution_metrics_environment_started", ["environment", "startedAt", "executionId"])
@Index("IDX_execution_metrics_job_started", ["jobId", "startedAt", "executionId"])
@Index("IDX_execution_metrics_skill_profile", [
  "skillId",
  "totalDurationMs",
  "status",
  "startedAt",
  "apiCallsCount",
  "apiCallsCostUsd",
  "outputSizeBytes",
  "outputQuality",
  "correctnessScore",
  "userFeedbackReceived",
  "userSatisfaction",
  "errorCategory",
  "tokensIn",
  "tokensOut",
  "latencyAcceptable",
])
@Index("IDX_execution_metrics_skill_variant", ["skillId", "variant", "startedAt"])
export class ExecutionMetric {
  /** UUID; the SDK generates time-ordered UUIDv7, imports may carry any RFC 4122 version. */
  @PrimaryColumn({ name: "execution_id", type: "varchar", length: 36 })
  @Expose({ name: "execution_id" })
  @IsUUID("all")
  executionId!: string;

  @Column({ name: "metric_version", type: "varchar", length: 16, default: METRIC_VERSION })
  @Expose({ name: "metric_version" })
  @IsString()
  @Matches(/^\d+\.\d+$/)
  metricVersion!: string;

  @Column({ name: "skill_id", type: "varchar", length: LIMITS.identifierLength })
  @Expose({ name: "skill_id" })
  @IsString()
  @MinLength(COLUMN_RULES.skill_id.minLength!)
  @MaxLength(COLUMN_RULES.skill_id.maxLength!)
  skillId!: string;

  /** Parent job when executions are batched; inherited by nested executions. */
  @Column({ name: "job_id", type: "varchar", length: LIMITS.identifierLength, nullable: true })
  @Expose({ name: "job_id" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.job_id.maxLength!)
  jobId!: string | null;

  /** The execution this one ran inside, when tracked calls nest. */
  @Column({ name: "parent_execution_id", type: "varchar", length: 36, nullable: true })
  @Expose({ name: "parent_execution_id" })
  @IsOptional()
  @IsUUID("all")
  parentExecutionId!: string | null;

  /** Wall-clock start, UTC, millisecond precision. */
  @Column({ name: "started_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  @Expose({ name: "started_at" })
  @Transform(toDate, { toClassOnly: true })
  @IsDate()
  startedAt!: Date;

  @Column({
    name: "completed_at",
    type: "varchar",
    length: 24,
    nullable: true,
    transformer: isoTimestampTransformer,
  })
  @Expose({ name: "completed_at" })
  @Transform(toDate, { toClassOnly: true })
  @IsOptional()
  @IsDate()
  completedAt!: Date | null;

  /** Measured with a monotonic clock, so it is exact even when the wall clock jumps. */
  @Column({ name: "total_duration_ms", type: "double precision", nullable: true })
  @Expose({ name: "total_duration_ms" })
  @IsOptional()
  @IsNumber(finite)
  @Min(COLUMN_RULES.total_duration_ms.min!)
  totalDurationMs!: number | null;

  @Column({ name: "status", type: "varchar", length: 16, default: "running" })
  @Expose({ name: "status" })
  @IsIn(EXECUTION_STATUSES as ExecutionStatus[])
  status!: ExecutionStatus;

  @Column({ name: "input_size_bytes", type: "integer", nullable: true })
  @Expose({ name: "input_size_bytes" })
  @IsOptional()
  @IsInt()
  @Min(COLUMN_RULES.input_size_bytes.min!)
  @Max(COLUMN_RULES.input_size_bytes.max!)
  inputSizeBytes!: number | null;

  /** sha256 of a stable serialization of the input, only when input capture is on. */
  @Column({ name: "input_hash", type: "varchar", length: LIMITS.inputHashLength, nullable: true })
  @Expose({ name: "input_hash" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.input_hash.maxLength!)
  inputHash!: string | null;

  @Column({ name: "input_complexity", type: "double precision", nullable: true })
  @Expose({ name: "input_complexity" })
  @IsOptional()
  @IsNumber(finite)
  inputComplexity!: number | null;

  @Column({ name: "input_summary", type: "text", nullable: true })
  @Expose({ name: "input_summary" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.input_summary.maxLength!)
  inputSummary!: string | null;

  @Column({ name: "output_size_bytes", type: "integer", nullable: true })
  @Expose({ name: "output_size_bytes" })
  @IsOptional()
  @IsInt()
  @Min(COLUMN_RULES.output_size_bytes.min!)
  @Max(COLUMN_RULES.output_size_bytes.max!)
  outputSizeBytes!: number | null;

  /** 0–1, set by a validator or by feedback; the profile's quality score is its mean. */
  @Column({ name: "output_quality", type: "double precision", nullable: true })
  @Expose({ name: "output_quality" })
  @IsOptional()
  @IsNumber(finite)
  @Min(COLUMN_RULES.output_quality.min!)
  @Max(COLUMN_RULES.output_quality.max!)
  outputQuality!: number | null;

  @Column({ name: "output_summary", type: "text", nullable: true })
  @Expose({ name: "output_summary" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.output_summary.maxLength!)
  outputSummary!: string | null;

  @Column({ name: "api_calls_count", type: "integer", default: 0 })
  @Expose({ name: "api_calls_count" })
  @IsInt()
  @Min(COLUMN_RULES.api_calls_count.min!)
  @Max(COLUMN_RULES.api_calls_count.max!)
  apiCallsCount!: number;

  @Column({ name: "api_calls_cost_usd", type: "double precision", default: 0 })
  @Expose({ name: "api_calls_cost_usd" })
  @IsNumber(finite)
  @Min(COLUMN_RULES.api_calls_cost_usd.min!)
  apiCallsCostUsd!: number;

  /** Opt-in: resident-set growth during the call, MB. */
  @Column({ name: "memory_used_mb", type: "double precision", nullable: true })
  @Expose({ name: "memory_used_mb" })
  @IsOptional()
  @IsNumber(finite)
  memoryUsedMb!: number | null;

  /** Opt-in: process CPU time over wall time during the call, percent of one core. */
  @Column({ name: "cpu_usage_percent", type: "double precision", nullable: true })
  @Expose({ name: "cpu_usage_percent" })
  @IsOptional()
  @IsNumber(finite)
  @Min(COLUMN_RULES.cpu_usage_percent.min!)
  cpuUsagePercent!: number | null;

  @Column({ name: "tokens_in", type: "integer", nullable: true })
  @Expose({ name: "tokens_in" })
  @IsOptional()
  @IsInt()
  @Min(COLUMN_RULES.tokens_in.min!)
  @Max(COLUMN_RULES.tokens_in.max!)
  tokensIn!: number | null;

  @Column({ name: "tokens_out", type: "integer", nullable: true })
  @Expose({ name: "tokens_out" })
  @IsOptional()
  @IsInt()
  @Min(COLUMN_RULES.tokens_out.min!)
  @Max(COLUMN_RULES.tokens_out.max!)
  tokensOut!: number | null;

  @Column({ name: "model_name", type: "varchar", length: LIMITS.identifierLength, nullable: true })
  @Expose({ name: "model_name" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.model_name.maxLength!)
  modelName!: string | null;

  @Column({ name: "temperature", type: "double precision", nullable: true })
  @Expose({ name: "temperature" })
  @IsOptional()
  @IsNumber(finite)
  @Min(COLUMN_RULES.temperature.min!)
  @Max(COLUMN_RULES.temperature.max!)
  temperature!: number | null;

  @Column({ name: "error_occurred", type: "boolean", default: false })
  @Expose({ name: "error_occurred" })
  @IsBoolean()
  errorOccurred!: boolean;

  /** One of the error_categories ids, or a category of the user's classifier. */
  @Column({ name: "error_category", type: "varchar", length: LIMITS.errorCategoryLength, nullable: true })
  @Expose({ name: "error_category" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.error_category.maxLength!)
  errorCategory!: string | null;

  @Column({ name: "error_message", type: "text", nullable: true })
  @Expose({ name: "error_message" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.error_message.maxLength!)
  errorMessage!: string | null;

  @Column({ name: "error_trace", type: "text", nullable: true })
  @Expose({ name: "error_trace" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.error_trace.maxLength!)
  errorTrace!: string | null;

  @Column({ name: "warning_count", type: "integer", default: 0 })
  @Expose({ name: "warning_count" })
  @IsInt()
  @Min(COLUMN_RULES.warning_count.min!)
  @Max(COLUMN_RULES.warning_count.max!)
  warningCount!: number;

  @Column({ name: "warnings", type: "simple-json" })
  @Expose({ name: "warnings" })
  @IsArray()
  @IsString({ each: true })
  @MaxLength(COLUMN_RULES.warnings.maxLength!, { each: true })
  @ArrayMaxSize(COLUMN_RULES.warnings.maxItems!)
  warnings!: string[];

  @Column({ name: "validation_passed", type: "boolean", default: true })
  @Expose({ name: "validation_passed" })
  @IsBoolean()
  validationPassed!: boolean;

  /** 0–1, when a correctness check is available. */
  @Column({ name: "correctness_score", type: "double precision", nullable: true })
  @Expose({ name: "correctness_score" })
  @IsOptional()
  @IsNumber(finite)
  @Min(COLUMN_RULES.correctness_score.min!)
  @Max(COLUMN_RULES.correctness_score.max!)
  correctnessScore!: number | null;

  @Column({ name: "user_feedback_received", type: "boolean", default: false })
  @Expose({ name: "user_feedback_received" })
  @IsBoolean()
  userFeedbackReceived!: boolean;

  /** 1–5 Likert. */
  @Column({ name: "user_satisfaction", type: "integer", nullable: true })
  @Expose({ name: "user_satisfaction" })
  @IsOptional()
  @IsInt()
  @Min(COLUMN_RULES.user_satisfaction.min!)
  @Max(COLUMN_RULES.user_satisfaction.max!)
  userSatisfaction!: number | null;

  @Column({ name: "agent_id", type: "varchar", length: LIMITS.identifierLength, nullable: true })
  @Expose({ name: "agent_id" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.agent_id.maxLength!)
  agentId!: string | null;

  /** prod / test / dev, or the user's own names. */
  @Column({ name: "environment", type: "varchar", length: LIMITS.environmentLength, nullable: true })
  @Expose({ name: "environment" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.environment.maxLength!)
  environment!: string | null;

  @Column({ name: "notes", type: "text", nullable: true })
  @Expose({ name: "notes" })
  @IsOptional()
  @IsString()
  @MaxLength(COLUMN_RULES.notes.maxLength!)
  notes!: string | null;

  @Column({ name: "tags", type: "simple-json" })
  @Expose({ name: "tags" })
  @IsArray()
  @IsString({ each: true })
  @MinLength(COLUMN_RULES.tags.minLength!, { each: true })
  @MaxLength(COLUMN_RULES.tags.maxLength!, { each: true })
  @ArrayMaxSize(COLUMN_RULES.tags.maxItems!)
  tags!: string[];

  /** The arm of an experiment this execution ran in ("baseline", "prompt-v2"); compared by compareVariants. */
  @Column({ name: "variant", type: "varchar", length: LIMITS.variantLength, nullable: true })
  @Expose({ name: "variant" })
  @IsOptional()
  @IsString()
  @MinLength(COLUMN_RULES.variant.minLength!)
  @MaxLength(COLUMN_RULES.variant.maxLength!)
  variant!: string | null;

  /** The experiment the variant belongs to, as the caller names it. */
  @Column({ name: "experiment_id", type: "varchar", length: LIMITS.identifierLength, nullable: true })
  @Expose({ name: "experiment_id" })
  @IsOptional()
  @IsString()
  @MinLength(COLUMN_RULES.experiment_id.minLength!)
  @MaxLength(COLUMN_RULES.experiment_id.maxLength!)
  experimentId!: string | null;

  /**
   * Whether the finished execution took at most its latency budget (total_duration_ms ≤ budget), whatever its
   * status; null when it had no budget or is still running.
   */
  @Column({ name: "latency_acceptable", type: "boolean", nullable: true })
  @Expose({ name: "latency_acceptable" })
  @IsOptional()
  @IsBoolean()
  latencyAcceptable!: boolean | null;
}
