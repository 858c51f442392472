import type { DataSource, SelectQueryBuilder } from "typeorm";
import { ExecutionStateError, NotFoundError, type ValidationIssue } from "../errors";
import { ANNOTATION_LIMITS, ANNOTATION_STATUSES, ANOMALY_SEVERITIES, type AnnotationStatus, type AnomalySeverity } from "../model/annotation-values";
import { ExecutionAnomaly } from "../storage/entities/ExecutionAnomaly.entity";
import { serializeWrite } from "../storage/write-queue";
import { uuidv7 } from "../tracking/uuid-v7";
import {
  findExecution,
  pageLimit,
  requireObject,
  requireText,
  throwIssues,
} from "./annotation-arguments";
import { decodeAnnotationCursor, encodeAnnotationCursor } from "./annotation-cursor";
import { explainPlan } from "./explain-plan";
import { resolveAnnotation } from "./resolve-annotation";
import { requireString, toIso } from "./query-arguments";

/** What a detector says of an execution it finds anomalous (see {@link AnomalyService.markAnomaly}). */
export interface AnomalyMark {
  /** Which detector marked it: 1–255 characters, e.g. "duration-zscore". */
  detector: string;
  /** What kind of anomaly: 1–64 characters, e.g. "slow", "cost_spike". */
  kind: string;
  /** The detector's score: any finite number (a z-score, a probability…). Default: none (null). */
  score?: number | null;
  /** "low", "medium", "high" or "critical". Default: none (null). */
  severity?: AnomalySeverity | null;
  /** Anything else the detector wants kept: an object, stored as JSON text of at most 65,536 characters. */
  details?: Record<string, unknown> | null;
}

/** How an anomaly was settled (see {@link AnomalyService.resolveAnomaly}). */
export interface AnomalyResolution {
  /** 1–255 characters, e.g. "false_positive", "fixed", "expected". */
  resolution: string;
  /** Free text, cut at 4,096 characters like every note. */
  notes?: string | null;
}

/** Filters and page of {@link AnomalyService.getAnomalies}. Every field is optional. */
export interface AnomalyQuery {
  /** Only anomalies of this skill's executions. */
  skillId?: string;
  /** The execution's started_at ≥ from (inclusive). A Date or an ISO-8601 string with zone. */
  from?: Date | string;
  /** The execution's started_at < to (exclusive). */
  to?: Date | string;
  /** Only this detector's. */
  detector?: string;
  /** Only this kind. */
  kind?: string;
  /** Only open or only resolved ones. Default: both. */
  status?: AnnotationStatus;
  /** Rows per page: 1–10,000, default 100. */
  limit?: number;
  /** The `nextCursor` of the previous page (same filters). */
  after?: string;
}

/** One page of anomalies, newest execution first. */
export interface AnomalyPage {
  items: ExecutionAnomaly[];
  /** Pass as `after` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

/**
 * Anomalies of executions (Phase 2a): marked by detectors, listed in keyset pages, resolved once.
 *
 * Pages are ordered by the execution's started_at, newest first, then anomaly_id: every filter is an equality
 * served by an index in that order (IDX_execution_anomalies_skill_started, _detector_started, _kind_started,
 * _status_started; _started without one), so a page walks one index range and stops after limit + 1 entries.
 */
export class AnomalyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Marks the stored execution `executionId` as anomalous; returns the new anomaly's id (UUIDv7). Its status
   * is "open"; skill_id and started_at are copied from the execution.
   * @throws MetricValidationError naming each bad field (detector, kind, score, severity, details).
   * @throws NotFoundError when no execution has this id. Nothing is written then.
   */
  async markAnomaly(executionId: string, mark: AnomalyMark): Promise<string> {
    const issues: ValidationIssue[] = [];
    requireString(executionId, "executionId", issues);
    if (!requireObject(mark, "(anomaly)", issues)) throwIssues(issues, "anomaly");
    const detector = requireText(mark.detector, "detector", ANNOTATION_LIMITS.identifierLength, issues);
    const kind = requireText(mark.kind, "kind", ANNOTATION_LIMITS.kindLength, issues);
    const score = mark.score ?? null;
    if (score !== null && (typeof score !== "number" || !Number.isFinite(score))) {
      issues.push({ field: "score", value: score, rule: "isFinite", message: "must be a finite number, or null" });
    }
    const severity = mark.severity ?? null;
    if (severity !== null && !ANOMALY_SEVERITIES.includes(severity)) {
      issues.push({ field: "severity", value: severity, rule: "isIn", message: `must be one of ${ANOMALY_SEVERITIES.join(", ")}, or null` });
    }
    const details = mark.details ?? null;
    if (details !== null && requireObject(details, "details", issues)) detailsIssue(details, issues);
    throwIssues(issues, "anomaly");
    const execution = await findExecution(this.dataSource, executionId);
    const anomaly: ExecutionAnomaly = {
      anomalyId: uuidv7(),
      executionId,
      skillId: execution.skillId,
      startedAt: execution.startedAt,
      detector: detector!,
      kind: kind!,
      score,
      severity,
      details,
      status: "open",
      resolution: null,
      notes: null,
      createdAt: this.clock(),
      resolvedAt: null,
    };
    // `as never`: TypeORM's deep-partial type cannot express the JSON details object (its transformer stores the text).
    await serializeWrite(this.dataSource, () => this.dataSource.getRepository(ExecutionAnomaly).insert(anomaly as never));
    return anomaly.anomalyId;
  }

  /**
   * One page of anomalies matching every given filter, newest execution first.
   * @throws MetricValidationError naming each bad filter, the limit or the cursor.
   */
  async getAnomalies(query: AnomalyQuery = {}): Promise<AnomalyPage> {
    const { builder, limit } = this.buildPage(query);
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > limit && last ? encodeAnnotationCursor("anomalies", [last.startedAt.toISOString(), last.anomalyId]) : null;
    return { items, nextCursor };
  }

  /** The plan of the statement getAnomalies runs for `query` (see explainPlan): a diagnostic, and the tests' proof. */
  explainAnomalies(query: AnomalyQuery = {}): Promise<string[]> {
    return explainPlan(this.dataSource, this.buildPage(query).builder);
  }

  /** The checked SELECT of one page (limit + 1 rows, to tell whether another page follows). */
  private buildPage(query: AnomalyQuery): { builder: SelectQueryBuilder<ExecutionAnomaly>; limit: number } {
    const issues: ValidationIssue[] = [];
    if (!requireObject(query, "(query)", issues)) throwIssues(issues, "anomalies query");
    const limit = pageLimit(query.limit, issues);
    const builder = this.dataSource.getRepository(ExecutionAnomaly).createQueryBuilder("a");
    for (const field of ["skillId", "detector", "kind"] as const) {
      const value = query[field];
      if (value !== undefined && requireString(value, field, issues)) builder.andWhere(`a.${field} = :${field}`, { [field]: value });
    }
    if (query.status !== undefined) {
      if (ANNOTATION_STATUSES.includes(query.status)) builder.andWhere("a.status = :status", { status: query.status });
      else issues.push({ field: "status", value: query.status, rule: "isIn", message: `must be one of ${ANNOTATION_STATUSES.join(", ")}` });
    }
    if (query.from !== undefined) {
      const from = toIso(query.from, "from", issues);
      if (from !== undefined) builder.andWhere("a.startedAt >= :from", { from });
    }
    if (query.to !== undefined) {
      const to = toIso(query.to, "to", issues);
      if (to !== undefined) builder.andWhere("a.startedAt < :to", { to });
    }
    throwIssues(issues, "anomalies query");
    if (query.after !== undefined) {
      const [startedAt, anomalyId] = decodeAnnotationCursor(query.after, "anomalies", 2);
      // The redundant `<=` lets SQLite use it as an index range; the OR breaks the tie (as getMetrics does).
      builder.andWhere("a.startedAt <= :cursorAt AND (a.startedAt < :cursorAt OR a.anomalyId < :cursorId)", {
        cursorAt: startedAt,
        cursorId: anomalyId,
      });
    }
    builder.orderBy("a.startedAt", "DESC").addOrderBy("a.anomalyId", "DESC").limit(limit + 1);
    return { builder, limit };
  }

  /**
   * Resolves an open anomaly: status "resolved", the resolution, notes and resolved_at set, in one statement
   * that only changes an open row, so two concurrent resolutions cannot both succeed. Returns the anomaly.
   * @throws MetricValidationError naming a bad resolution or notes; NotFoundError for an unknown id;
   *   ExecutionStateError (code SKILL_METRICS_ALREADY_RESOLVED) when it is already resolved.
   */
  resolveAnomaly(anomalyId: string, resolution: AnomalyResolution): Promise<ExecutionAnomaly> {
    return resolveAnnotation(this.dataSource, "anomaly", anomalyId, resolution, this.clock());
  }
}

/** Records an issue when `details` has no JSON text (a cycle, a BigInt) or a text over the cap. */
function detailsIssue(details: Record<string, unknown>, issues: ValidationIssue[]): void {
  let text: string;
  try {
    text = JSON.stringify(details);
  } catch (error) {
    issues.push({ field: "details", value: details, rule: "isJson", message: `must be JSON-serializable (${(error as Error).message})` });
    return;
  }
  if (text.length > ANNOTATION_LIMITS.detailsLength) {
    issues.push({
      field: "details",
      value: details,
      rule: "maxLength",
      message: `must be at most ${ANNOTATION_LIMITS.detailsLength} UTF-16 code units long as JSON text (is ${text.length})`,
    });
  }
}
