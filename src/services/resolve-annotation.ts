import type { DataSource } from "typeorm";
import { ExecutionStateError, NotFoundError, type ValidationIssue } from "../errors";
import { ANNOTATION_LIMITS } from "../model/annotation-values";
import { ExecutionAnomaly } from "../storage/entities/ExecutionAnomaly.entity";
import { ExecutionReview } from "../storage/entities/ExecutionReview.entity";
import { serializeWrite } from "../storage/write-queue";
import { noteText, requireObject, requireText, throwIssues } from "./annotation-arguments";
import { requireString } from "./query-arguments";

/** How an anomaly or a review flag is resolved (AnomalyResolution and ReviewResolution have this shape). */
interface AnnotationResolution {
  resolution: string;
  notes?: string | null;
}

/** The two annotations that are resolved once: which entity, its id column, how errors name it. */
const RESOLVABLE = {
  anomaly: { entity: ExecutionAnomaly, idProperty: "anomalyId", idField: "anomalyId", notFound: NotFoundError.anomaly },
  review: { entity: ExecutionReview, idProperty: "reviewId", idField: "reviewId", notFound: NotFoundError.review },
} as const;

/**
 * Resolves an open anomaly or review flag: status "resolved", the resolution, notes and resolved_at set, in one
 * statement that only changes an open row, so two concurrent resolutions cannot both succeed. Returns the row.
 * @throws MetricValidationError naming a bad id, resolution or notes; NotFoundError for an unknown id;
 *   ExecutionStateError (code SKILL_METRICS_ALREADY_RESOLVED) when it is already resolved.
 */
export async function resolveAnnotation<K extends keyof typeof RESOLVABLE>(
  dataSource: DataSource,
  kind: K,
  id: string,
  resolution: AnnotationResolution,
  now: Date,
): Promise<InstanceType<(typeof RESOLVABLE)[K]["entity"]>> {
  const { entity, idProperty, idField, notFound } = RESOLVABLE[kind];
  const issues: ValidationIssue[] = [];
  const what = `${kind} resolution`;
  requireString(id, idField, issues);
  if (!requireObject(resolution, "(resolution)", issues)) throwIssues(issues, what);
  const text = requireText(resolution.resolution, "resolution", ANNOTATION_LIMITS.resolutionLength, issues);
  const notes = noteText(resolution.notes, "notes", issues);
  throwIssues(issues, what);
  const repository = dataSource.getRepository<ExecutionAnomaly | ExecutionReview>(entity);
  const key = { [idProperty]: id };
  const result = await serializeWrite(dataSource, () =>
    repository.update({ ...key, status: "open" }, { status: "resolved", resolution: text, notes, resolvedAt: now }),
  );
  const row = await repository.findOneBy(key);
  if (row === null) throw notFound(id);
  if (!result.affected) throw ExecutionStateError.alreadyResolved(kind, id);
  return row as InstanceType<(typeof RESOLVABLE)[K]["entity"]>;
}
