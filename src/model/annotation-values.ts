import { LIMITS } from "./limits";

/*
 * The allowed values and lengths of the annotation tables (anomalies, review flags, corrective actions,
 * learning links): one definition read by the migration's column sizes, the entities and the services' checks.
 * Lengths count UTF-16 code units, like every limit of skill-metrics (model/limits.ts).
 */

/** How bad an anomaly is: the scale of the error categories' severity. */
export const ANOMALY_SEVERITIES = ["low", "medium", "high", "critical"] as const;

/** One of {@link ANOMALY_SEVERITIES}. */
export type AnomalySeverity = (typeof ANOMALY_SEVERITIES)[number];

/** An anomaly or a review flag is open until resolved once; resolving is final. */
export const ANNOTATION_STATUSES = ["open", "resolved"] as const;

/** One of {@link ANNOTATION_STATUSES}. */
export type AnnotationStatus = (typeof ANNOTATION_STATUSES)[number];

/** The length limits of the annotation fields, in UTF-16 code units (texts over them are refused, not cut). */
export const ANNOTATION_LIMITS = {
  /** detector (which detector marked the anomaly), flagged_by, performed_by, learning_id. */
  identifierLength: LIMITS.identifierLength,
  /** kind of anomaly (e.g. "slow", "cost_spike"), relation of a learning link. */
  kindLength: 64,
  /** resolution of an anomaly or review flag (e.g. "false_positive", "fixed"). */
  resolutionLength: LIMITS.identifierLength,
  /** reason of a review flag, action of a corrective action. */
  textLength: LIMITS.textCap,
  /** details of an anomaly, as its JSON text. */
  detailsLength: 65_536,
} as const;

/** The relation a learning link gets when none is given. */
export const DEFAULT_LEARNING_RELATION = "related";
