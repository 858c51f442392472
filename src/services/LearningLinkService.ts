import type { DataSource } from "typeorm";
import type { ValidationIssue } from "../errors";
import { ANNOTATION_LIMITS, DEFAULT_LEARNING_RELATION } from "../model/annotation-values";
import { LearningLink } from "../storage/entities/LearningLink.entity";
import { dialectOf } from "../storage/dialect";
import { queryFor } from "../storage/sql-support";
import { serializeWrite } from "../storage/write-queue";
import { findExecution, pageLimit, requireObject, requireText, throwIssues } from "./annotation-arguments";
import { decodeAnnotationCursor, encodeAnnotationCursor } from "./annotation-cursor";

/** Options of {@link LearningLinkService.linkLearning}. */
export interface LearningLinkOptions {
  /** How the execution relates to the learning: 1–64 characters, e.g. "evidence", "counterexample". Default "related". */
  relation?: string;
}

/** Page of {@link LearningLinkService.getExecutionsForLearning}. */
export interface LearningLinkQuery {
  /** Rows per page: 1–10,000, default 100. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  after?: string;
}

/** One page of a learning's links, each with its execution, in execution_id order. */
export interface LearningLinkPage {
  /** The links; `execution` holds the linked execution. */
  items: (LearningLink & { execution: NonNullable<LearningLink["execution"]> })[];
  /** Pass as `after` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

/**
 * Links between executions and the learnings of Phase 2b (the learnings themselves live in the learner's
 * store; here only their ids). One link per (execution, learning) pair.
 */
export class LearningLinkService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Links the stored execution `executionId` to `learningId` (1–255 characters). Linking the same pair again
   * keeps one link: its relation becomes the new one, its created_at stays. Returns the stored link.
   * @throws MetricValidationError naming a bad learningId or relation; NotFoundError for an unknown execution.
   */
  async linkLearning(executionId: string, learningId: string, options: LearningLinkOptions = {}): Promise<LearningLink> {
    const issues: ValidationIssue[] = [];
    requireText(executionId, "executionId", ANNOTATION_LIMITS.identifierLength, issues);
    requireText(learningId, "learningId", ANNOTATION_LIMITS.identifierLength, issues);
    let relation: string | undefined = DEFAULT_LEARNING_RELATION;
    if (requireObject(options, "(options)", issues) && options.relation !== undefined) {
      relation = requireText(options.relation, "relation", ANNOTATION_LIMITS.kindLength, issues);
    }
    throwIssues(issues, "learning link");
    await findExecution(this.dataSource, executionId);
    const query = queryFor(this.dataSource, dialectOf(this.dataSource));
    // One upsert: a concurrent link of the same pair cannot make a second row or fail on the primary key.
    await serializeWrite(this.dataSource, () =>
      query(
        `INSERT INTO execution_learnings (execution_id, learning_id, relation, created_at) VALUES (?, ?, ?, ?) ` +
          `ON CONFLICT (execution_id, learning_id) DO UPDATE SET relation = excluded.relation`,
        [executionId, learningId, relation, this.clock().toISOString()],
      ),
    );
    return (await this.dataSource.getRepository(LearningLink).findOneBy({ executionId, learningId }))!;
  }

  /**
   * One page of the executions linked to `learningId`, in execution_id order (one range of
   * IDX_execution_learnings_learning), each link with its execution.
   * @throws MetricValidationError naming a bad learningId, limit or cursor.
   */
  async getExecutionsForLearning(learningId: string, query: LearningLinkQuery = {}): Promise<LearningLinkPage> {
    const issues: ValidationIssue[] = [];
    requireText(learningId, "learningId", ANNOTATION_LIMITS.identifierLength, issues);
    if (!requireObject(query, "(query)", issues)) throwIssues(issues, "learning query");
    const limit = pageLimit(query.limit, issues);
    throwIssues(issues, "learning query");
    const builder = this.dataSource
      .getRepository(LearningLink)
      .createQueryBuilder("l")
      .innerJoinAndSelect("l.execution", "m")
      .where("l.learningId = :learningId", { learningId });
    if (query.after !== undefined) {
      const [executionId] = decodeAnnotationCursor(query.after, "learning", 1);
      builder.andWhere("l.executionId > :cursorId", { cursorId: executionId });
    }
    const rows = (await builder.orderBy("l.executionId", "ASC").limit(limit + 1).getMany()) as LearningLinkPage["items"];
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeAnnotationCursor("learning", [last.executionId]) : null };
  }
}
