import type { DataSource, SelectQueryBuilder } from "typeorm";
import { ExecutionStateError, NotFoundError, type ValidationIssue } from "../errors";
import { ANNOTATION_LIMITS, ANNOTATION_STATUSES, type AnnotationStatus } from "../model/annotation-values";
import { ExecutionReview } from "../storage/entities/ExecutionReview.entity";
import { serializeWrite } from "../storage/write-queue";
import { uuidv7 } from "../tracking/uuid-v7";
import { findExecution, optionalText, pageLimit, requireObject, requireText, throwIssues } from "./annotation-arguments";
import { decodeAnnotationCursor, encodeAnnotationCursor } from "./annotation-cursor";
import { explainPlan } from "./explain-plan";
import { resolveAnnotation } from "./resolve-annotation";
import { requireString } from "./query-arguments";

/** Why an execution needs a person's look (see {@link ReviewService.flagForReview}). */
export interface ReviewFlag {
  /** 1–4,096 characters. */
  reason: string;
  /** Who or what flagged it: 1–255 characters. Default: none (null). */
  by?: string | null;
}

/** How a review was settled (see {@link ReviewService.resolveReview}). */
export interface ReviewResolution {
  /** 1–255 characters, e.g. "ok", "bad_output", "learning_recorded". */
  resolution: string;
  /** Free text, cut at 4,096 characters like every note. */
  notes?: string | null;
}

/** Filters and page of {@link ReviewService.getReviewQueue}. Every field is optional. */
export interface ReviewQueueQuery {
  /** Only flags of this skill's executions. */
  skillId?: string;
  /** "open" (default: the queue) or "resolved". */
  status?: AnnotationStatus;
  /** Rows per page: 1–10,000, default 100. */
  limit?: number;
  /** The `nextCursor` of the previous page (same filters). */
  after?: string;
}

/** One page of review flags, oldest first. */
export interface ReviewPage {
  items: ExecutionReview[];
  /** Pass as `after` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

/**
 * Review flags on executions (Phase 2b): an execution flagged for a person's look waits in the queue, oldest
 * first, until resolved once. Pages are ordered by (created_at, review_id) within one status, served by
 * IDX_execution_reviews_status_created, or _skill_status_created with a skill: one index range per page.
 */
export class ReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Flags the stored execution `executionId` for review; returns the flag's id (UUIDv7). An execution may be
   * flagged several times (each flag is its own row).
   * @throws MetricValidationError naming a bad reason or by; NotFoundError for an unknown execution.
   */
  async flagForReview(executionId: string, flag: ReviewFlag): Promise<string> {
    const issues: ValidationIssue[] = [];
    requireString(executionId, "executionId", issues);
    if (!requireObject(flag, "(review)", issues)) throwIssues(issues, "review flag");
    const reason = requireText(flag.reason, "reason", ANNOTATION_LIMITS.textLength, issues);
    const flaggedBy = optionalText(flag.by, "by", ANNOTATION_LIMITS.identifierLength, issues);
    throwIssues(issues, "review flag");
    const execution = await findExecution(this.dataSource, executionId);
    const review: ExecutionReview = {
      reviewId: uuidv7(),
      executionId,
      skillId: execution.skillId,
      reason: reason!,
      flaggedBy,
      status: "open",
      resolution: null,
      notes: null,
      createdAt: this.clock(),
      resolvedAt: null,
    };
    await serializeWrite(this.dataSource, () => this.dataSource.getRepository(ExecutionReview).insert(review));
    return review.reviewId;
  }

  /**
   * One page of the review queue: flags of the given status ("open" unless told), oldest first.
   * @throws MetricValidationError naming a bad filter, the limit or the cursor.
   */
  async getReviewQueue(query: ReviewQueueQuery = {}): Promise<ReviewPage> {
    const { builder, limit } = this.buildPage(query);
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > limit && last ? encodeAnnotationCursor("reviews", [last.createdAt.toISOString(), last.reviewId]) : null;
    return { items, nextCursor };
  }

  /** The plan of the statement getReviewQueue runs for `query` (see explainPlan): a diagnostic, and the tests' proof. */
  explainReviewQueue(query: ReviewQueueQuery = {}): Promise<string[]> {
    return explainPlan(this.dataSource, this.buildPage(query).builder);
  }

  /** The checked SELECT of one page (limit + 1 rows, to tell whether another page follows). */
  private buildPage(query: ReviewQueueQuery): { builder: SelectQueryBuilder<ExecutionReview>; limit: number } {
    const issues: ValidationIssue[] = [];
    if (!requireObject(query, "(query)", issues)) throwIssues(issues, "review queue query");
    const limit = pageLimit(query.limit, issues);
    const status = query.status ?? "open";
    if (!ANNOTATION_STATUSES.includes(status)) {
      issues.push({ field: "status", value: status, rule: "isIn", message: `must be one of ${ANNOTATION_STATUSES.join(", ")}` });
    }
    const builder = this.dataSource.getRepository(ExecutionReview).createQueryBuilder("r").where("r.status = :status", { status });
    if (query.skillId !== undefined && requireString(query.skillId, "skillId", issues)) {
      builder.andWhere("r.skillId = :skillId", { skillId: query.skillId });
    }
    throwIssues(issues, "review queue query");
    if (query.after !== undefined) {
      const [createdAt, reviewId] = decodeAnnotationCursor(query.after, "reviews", 2);
      builder.andWhere("r.createdAt >= :cursorAt AND (r.createdAt > :cursorAt OR r.reviewId > :cursorId)", {
        cursorAt: createdAt,
        cursorId: reviewId,
      });
    }
    builder.orderBy("r.createdAt", "ASC").addOrderBy("r.reviewId", "ASC").limit(limit + 1);
    return { builder, limit };
  }

  /**
   * Resolves an open review flag (status "resolved", resolution, notes, resolved_at) in one statement that
   * only changes an open row. Returns the flag.
   * @throws MetricValidationError naming a bad resolution or notes; NotFoundError for an unknown id;
   *   ExecutionStateError (code SKILL_METRICS_ALREADY_RESOLVED) when it is already resolved.
   */
  resolveReview(reviewId: string, resolution: ReviewResolution): Promise<ExecutionReview> {
    return resolveAnnotation(this.dataSource, "review", reviewId, resolution, this.clock());
  }
}
