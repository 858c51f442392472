import type { ExecutionAnomaly } from "../storage/entities/ExecutionAnomaly.entity";
import type { ExecutionReview } from "../storage/entities/ExecutionReview.entity";

/*
 * Anomalies and review flags in the plain form of the CLI's --json output: snake_case keys (the columns'
 * names, as every export of skill-metrics), ISO-8601 UTC timestamps, details as the object it was given.
 */

const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString());

/** An anomaly with snake_case keys and ISO timestamps. */
export function anomalyToPlain(anomaly: ExecutionAnomaly): Record<string, unknown> {
  return {
    anomaly_id: anomaly.anomalyId,
    execution_id: anomaly.executionId,
    skill_id: anomaly.skillId,
    started_at: anomaly.startedAt.toISOString(),
    detector: anomaly.detector,
    kind: anomaly.kind,
    score: anomaly.score,
    severity: anomaly.severity,
    details: anomaly.details,
    status: anomaly.status,
    resolution: anomaly.resolution,
    notes: anomaly.notes,
    created_at: anomaly.createdAt.toISOString(),
    resolved_at: isoOrNull(anomaly.resolvedAt),
  };
}

/** A review flag with snake_case keys and ISO timestamps. */
export function reviewToPlain(review: ExecutionReview): Record<string, unknown> {
  return {
    review_id: review.reviewId,
    execution_id: review.executionId,
    skill_id: review.skillId,
    reason: review.reason,
    flagged_by: review.flaggedBy,
    status: review.status,
    resolution: review.resolution,
    notes: review.notes,
    created_at: review.createdAt.toISOString(),
    resolved_at: isoOrNull(review.resolvedAt),
  };
}
