import type { DataSource, SelectQueryBuilder } from "typeorm";
import { MetricValidationError, type ValidationIssue } from "../errors";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../model/execution-metric-columns";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";
import { dialectOf } from "../storage/dialect";
import { decodeCursor } from "./metrics-cursor";
import { requireString, toIso } from "./query-arguments";

/** Filters, order and page of {@link MetricsQueryService.getMetrics}. Every field is optional. */
export interface MetricsQuery {
  /** Only this skill. */
  skillId?: string;
  /** started_at ≥ from (inclusive). A Date or an ISO-8601 string with zone. */
  from?: Date | string;
  /** started_at < to (exclusive): ranges are half-open, so consecutive ranges never share a row. */
  to?: Date | string;
  /** Only this status, or any of these. */
  status?: ExecutionStatus | readonly ExecutionStatus[];
  /** Only this environment (exact match). */
  environment?: string;
  /** Only executions of this job (exact match). */
  jobId?: string;
  /** Only executions carrying tags: all of them (default) or any, see `tagMatch`. */
  tags?: readonly string[];
  /** How `tags` matches: "all" (default) or "any". */
  tagMatch?: "all" | "any";
  /** Only this error_category; "unknown" also matches executions without a category, as profiles count them. */
  errorCategory?: string;
  /** "desc" (default): newest first; "asc": oldest first. Rows are ordered by (started_at, execution_id). */
  order?: "asc" | "desc";
  /** Rows per page. Default 100 (the service's defaultLimit), at most maxLimit (default 10,000). */
  limit?: number;
  /** The `nextCursor` of the previous page, to continue after it (same filters and order). */
  after?: string;
}

/** One page of executions. */
export interface MetricsPage {
  /** The executions of this page, as entities (camelCase properties, Date timestamps). */
  items: ExecutionMetric[];
  /** Pass as `after` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

/** The page sizes a {@link MetricsQuery} is checked against. */
export interface PageSizes {
  /** Page size when a query gives no limit. */
  readonly defaultLimit: number;
  /** Largest page size accepted. */
  readonly maxLimit: number;
}

/** The statement of one page of a {@link MetricsQuery}, and the page size and order it was built with. */
export interface MetricsPageQuery {
  builder: SelectQueryBuilder<ExecutionMetric>;
  limit: number;
  order: "asc" | "desc";
}

/**
 * Checks every field of `query` and builds its SELECT: one WHERE condition per filter (each served by an
 * index), the keyset condition of the `after` cursor, ordered by (started_at, execution_id) in the query's
 * order. The caller sets the LIMIT. Bad fields are reported together.
 * @throws MetricValidationError naming every bad field, the limit or the cursor.
 */
export function buildMetricsPageQuery(dataSource: DataSource, query: MetricsQuery, pageSizes: PageSizes): MetricsPageQuery {
  const issues: ValidationIssue[] = [];
  if (query === null || typeof query !== "object") {
    throw new MetricValidationError(
      [{ field: "(query)", value: query, rule: "isObject", message: "the query must be an object" }],
      "metrics query",
    );
  }
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    issues.push({ field: "order", value: order, rule: "isIn", message: 'must be "asc" or "desc"' });
  }
  const limit = query.limit ?? pageSizes.defaultLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > pageSizes.maxLimit) {
    issues.push({ field: "limit", value: limit, rule: "range", message: `must be a whole number in [1, ${pageSizes.maxLimit}]` });
  }
  const builder = dataSource.getRepository(ExecutionMetric).createQueryBuilder("m");
  if (query.skillId !== undefined && requireString(query.skillId, "skillId", issues)) {
    builder.andWhere("m.skillId = :skillId", { skillId: query.skillId });
  }
  if (query.from !== undefined) {
    const from = toIso(query.from, "from", issues);
    if (from !== undefined) builder.andWhere("m.startedAt >= :from", { from });
  }
  if (query.to !== undefined) {
    const to = toIso(query.to, "to", issues);
    if (to !== undefined) builder.andWhere("m.startedAt < :to", { to });
  }
  if (query.status !== undefined) {
    const statuses = typeof query.status === "string" ? [query.status] : query.status;
    const bad = Array.isArray(statuses) ? statuses.filter((s) => !EXECUTION_STATUSES.includes(s)) : [query.status];
    if (!Array.isArray(statuses) || statuses.length === 0 || bad.length > 0) {
      issues.push({
        field: "status",
        value: query.status,
        rule: "isIn",
        message: `must be one of ${EXECUTION_STATUSES.join(", ")}, or a non-empty array of them`,
      });
    } else if (new Set(statuses).size === 1) {
      builder.andWhere("m.status = :status", { status: statuses[0] });
    } else {
      // Several statuses are several ranges of the status index, whose union is not in page order (SQLite would
      // sort every match). SQLite's unary + hides the column from the planner, which then walks the started_at
      // index and filters: a few statuses are a large share of the rows, so a page is found after few entries.
      const column = dialectOf(dataSource) === "sqlite" ? "+m.status" : "m.status";
      builder.andWhere(`${column} IN (:...statuses)`, { statuses });
    }
  }
  if (query.environment !== undefined && requireString(query.environment, "environment", issues)) {
    builder.andWhere("m.environment = :environment", { environment: query.environment });
  }
  if (query.jobId !== undefined && requireString(query.jobId, "jobId", issues)) {
    builder.andWhere("m.jobId = :jobId", { jobId: query.jobId });
  }
  if (query.errorCategory !== undefined && requireString(query.errorCategory, "errorCategory", issues)) {
    if (query.errorCategory === "unknown") {
      // One expression instead of an OR of two index ranges (whose union would need a sort): it matches every
      // successful row too, so a page-ordered walk of started_at finds a page after few entries.
      builder.andWhere("COALESCE(m.errorCategory, :errorCategory) = :errorCategory", { errorCategory: "unknown" });
    } else {
      builder.andWhere("m.errorCategory = :errorCategory", { errorCategory: query.errorCategory });
    }
  }
  // The page order's columns: the execution's, or the first tag's entries when a tag drives the page.
  const orderBy = (query.tags !== undefined && addTagFilter(builder, query, issues)) || EXECUTION_ORDER;
  if (query.after !== undefined) {
    if (typeof query.after !== "string") {
      issues.push({ field: "after", value: query.after, rule: "cursor", message: "must be a nextCursor string" });
    } else {
      const cursor = decodeCursor(query.after);
      if (cursor.order !== order) {
        issues.push({
          field: "after",
          value: query.after,
          rule: "cursor",
          message: `was made for order "${cursor.order}", not "${order}"; keep the order across pages`,
        });
      }
      // The redundant `startedAt <=` (or >=) lets SQLite use it as an index range; the OR breaks the tie.
      const cmp = order === "desc" ? "<" : ">";
      const { startedAt, executionId } = orderBy;
      builder.andWhere(
        `${startedAt} ${cmp}= :cursorStartedAt AND (${startedAt} ${cmp} :cursorStartedAt OR ${executionId} ${cmp} :cursorId)`,
        { cursorStartedAt: cursor.startedAt, cursorId: cursor.executionId },
      );
    }
  }
  if (issues.length > 0) throw new MetricValidationError(issues, "metrics query");
  const direction = order === "desc" ? "DESC" : "ASC";
  builder.orderBy(orderBy.startedAt, direction).addOrderBy(orderBy.executionId, direction);
  return { builder, limit, order };
}

/** The two columns a page is ordered by and its cursor compares: equal in value to the execution's own. */
interface PageOrderColumns {
  readonly startedAt: string;
  readonly executionId: string;
}

const EXECUTION_ORDER: PageOrderColumns = { startedAt: "m.startedAt", executionId: "m.executionId" };

/**
 * Adds the `tags` filter. With "all" (or "any" of one tag) the first tag's execution_tags entries drive the page:
 * joined on (tag, started_at, execution_id), they are already in page order, so the page is a walk of that index
 * range with no sort; each further tag is an EXISTS probe of the primary key (execution_id, tag). Returns the
 * joined entry's columns to order by. "any" of several tags is one EXISTS probe per row of a page-ordered walk of
 * the executions (their union has no single index range): returns null, the executions' order.
 */
function addTagFilter(
  builder: SelectQueryBuilder<ExecutionMetric>,
  query: MetricsQuery,
  issues: ValidationIssue[],
): PageOrderColumns | null {
  const tags = query.tags;
  const match = query.tagMatch ?? "all";
  if (match !== "all" && match !== "any") {
    issues.push({ field: "tagMatch", value: match, rule: "isIn", message: 'must be "all" or "any"' });
    return null;
  }
  if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== "string" || t.length === 0)) {
    issues.push({ field: "tags", value: tags, rule: "isArray", message: "must be a non-empty array of non-empty strings" });
    return null;
  }
  const distinct = [...new Set(tags)];
  const exists = (alias: string, condition: string) =>
    `EXISTS (SELECT 1 FROM execution_tags ${alias} WHERE ${alias}.execution_id = m.execution_id AND ${condition})`;
  if (match === "any" && distinct.length > 1) {
    builder.andWhere(exists("t", "t.tag IN (:...anyTags)"), { anyTags: distinct });
    return null;
  }
  builder.innerJoin("execution_tags", "t0", "t0.execution_id = m.execution_id AND t0.tag = :tag0", { tag0: distinct[0] });
  distinct.slice(1).forEach((tag, i) => builder.andWhere(exists(`t${i + 1}`, `t${i + 1}.tag = :tag${i + 1}`), { [`tag${i + 1}`]: tag }));
  return { startedAt: "t0.started_at", executionId: "t0.execution_id" };
}
