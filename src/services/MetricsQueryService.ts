import type { DataSource, SelectQueryBuilder } from "typeorm";
import { serializeWrite } from "../storage/write-queue";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../model/execution-metric-columns";
import { LIMITS, truncateText } from "../model/limits";
import { ISO_TIMESTAMP_PATTERN } from "../storage/entities/timestamp-transformer";
import { ConfigurationError, MetricValidationError, NotFoundError, type ValidationIssue } from "../errors";
import { summarizeDurations } from "./duration-statistics";
import { decodeCursor, encodeCursor } from "./metrics-cursor";
import { type Dialect, dialectOf } from "../storage/dialect";
import { FAILED, type Query, queryFor, toNumber } from "../storage/sql-support";

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

/** Options of {@link MetricsQueryService.getErrorAnalysis}. Every field is optional. */
export interface ErrorAnalysisOptions {
  /** Groups returned per grouping (top N). Default 10, at most 1,000. */
  limit?: number;
  /** started_at ≥ from. */
  from?: Date | string;
  /** started_at < to. */
  to?: Date | string;
}

/** Failures sharing a category or a message. */
export interface ErrorGroup {
  /** The category ("unknown" for none) or the message (null for none). */
  key: string | null;
  count: number;
  /** started_at of the earliest and latest failure of the group. */
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** The group's latest failure (ties: greatest execution_id). */
  exampleExecutionId: string;
}

/**
 * A skill's failures (status failure or timeout) grouped two ways. Groups are ordered by count (descending),
 * then last seen (latest first), then key (ascending; a null message last).
 */
export interface ErrorAnalysis {
  skillId: string;
  /** All failures in the range, not only those in the top groups. */
  totalFailures: number;
  byCategory: ErrorGroup[];
  byMessage: ErrorGroup[];
}

/** Feedback on one execution. Omitted fields are left as they are; null clears a value. */
export interface ExecutionFeedback {
  /** 1–5 Likert, whole number. */
  userSatisfaction?: number | null;
  /** 0–1. */
  correctnessScore?: number | null;
  /** 0–1; the profile's mean_quality_score averages it. */
  outputQuality?: number | null;
  /** Free text; cut at 4,096 characters like every note. */
  notes?: string | null;
}

/** Options of {@link MetricsQueryService.getBaseline}. */
export interface BaselineOptions {
  /** Length of the trailing window, in milliseconds. Required, > 0. */
  windowMillis: number;
  /** End of the window (exclusive). Default: the service's clock. */
  now?: Date;
}

/** Duration statistics of a skill's finished executions over [from, to). */
export interface DurationBaseline {
  skillId: string;
  from: Date;
  to: Date;
  count: number;
  /** null when count is 0. */
  meanDurationMs: number | null;
  /** Sample standard deviation (n − 1); 0 for one execution, null for none. */
  stddevDurationMs: number | null;
  /** Linear interpolation between closest ranks; null for none. */
  p95DurationMs: number | null;
}

/** Options of {@link MetricsQueryService}. Every field is optional. */
export interface MetricsQueryServiceOptions {
  /** Page size when a query gives no limit. Default 100. */
  defaultLimit?: number;
  /** Largest page size accepted. Default 10,000. */
  maxLimit?: number;
  /** The clock that ends getBaseline's window when no `now` is given. Default `() => new Date()`. */
  clock?: () => Date;
}

const FEEDBACK_COLUMNS: Record<keyof ExecutionFeedback, string> = {
  userSatisfaction: "user_satisfaction",
  correctnessScore: "correctness_score",
  outputQuality: "output_quality",
  notes: "notes",
};

/**
 * Reads executions for application code: filtered pages, error analysis, duration baselines, and feedback.
 *
 * Every getMetrics filter is served by an index (IDX_execution_metrics_skill_started, _started, _status,
 * _environment_started, _job_started, _error_category, and execution_tags for tags; see
 * {@link explainMetrics}). Pages are keyset pages over (started_at, execution_id): a cursor, never OFFSET, so
 * page N costs what page 1 costs and rows inserted meanwhile neither repeat nor shift a page.
 */
export class MetricsQueryService {
  private readonly options: Required<MetricsQueryServiceOptions>;
  private readonly query: Query;
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    options: MetricsQueryServiceOptions = {},
  ) {
    this.options = {
      defaultLimit: options.defaultLimit ?? 100,
      maxLimit: options.maxLimit ?? 10_000,
      clock: options.clock ?? (() => new Date()),
    };
    if (!Number.isInteger(this.options.maxLimit) || this.options.maxLimit < 1) {
      throw ConfigurationError.invalidOption("maxLimit", "must be a whole number ≥ 1");
    }
    const { defaultLimit, maxLimit } = this.options;
    if (!Number.isInteger(defaultLimit) || defaultLimit < 1 || defaultLimit > maxLimit) {
      throw ConfigurationError.invalidOption("defaultLimit", `must be a whole number in [1, maxLimit = ${maxLimit}]`);
    }
    this.dialect = dialectOf(dataSource);
    this.query = queryFor(dataSource, this.dialect);
  }

  /**
   * One page of executions matching every given filter, newest first unless `order: "asc"`.
   * @throws MetricValidationError naming the option when a filter, the limit or the cursor is invalid.
   */
  async getMetrics(query: MetricsQuery = {}): Promise<MetricsPage> {
    const { builder, limit, order } = this.build(query);
    const rows = await builder.limit(limit + 1).getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor({ startedAt: last.startedAt.toISOString(), executionId: last.executionId, order })
        : null;
    return { items, nextCursor };
  }

  /**
   * SQLite's `EXPLAIN QUERY PLAN` lines for the statement getMetrics runs for `query`: a diagnostic, and the
   * proof (in the tests) that each filter is served by an index. SQLite only.
   */
  async explainMetrics(query: MetricsQuery = {}): Promise<string[]> {
    const { builder, limit } = this.build(query);
    const [sql, params] = builder.limit(limit + 1).getQueryAndParameters();
    const rows: { detail: string }[] = await this.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows.map((r) => r.detail);
  }

  /**
   * A skill's failures (status failure or timeout, started in [from, to) when given), grouped by error_category
   * (null counted as "unknown") and by error_message, top `limit` groups each. See {@link ErrorAnalysis}.
   */
  async getErrorAnalysis(skillId: string, options: ErrorAnalysisOptions = {}): Promise<ErrorAnalysis> {
    const issues: ValidationIssue[] = [];
    requireString(skillId, "skillId", issues);
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      issues.push({ field: "limit", value: limit, rule: "range", message: "must be a whole number in [1, 1000]" });
    }
    const from = options.from === undefined ? undefined : toIso(options.from, "from", issues);
    const to = options.to === undefined ? undefined : toIso(options.to, "to", issues);
    if (issues.length > 0) throw new MetricValidationError(issues, "error analysis query");

    let where = `skill_id = ? AND ${FAILED}`;
    const params: unknown[] = [skillId];
    if (from !== undefined) (where += " AND started_at >= ?"), params.push(from);
    if (to !== undefined) (where += " AND started_at < ?"), params.push(to);
    const total = await this.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM execution_metrics WHERE ${where}`, params);
    return {
      skillId,
      totalFailures: toNumber(total[0]?.n ?? 0),
      byCategory: await this.errorGroups("COALESCE(error_category, 'unknown')", where, params, limit),
      byMessage: await this.errorGroups("error_message", where, params, limit),
    };
  }

  /**
   * Records feedback on one execution and sets user_feedback_received; returns the updated execution. One
   * UPDATE statement: on any error nothing is changed. The skill's stored profile is dropped by a trigger and
   * recomputed on its next read.
   * @throws MetricValidationError naming the field (snake_case) when a value is out of range or unknown.
   * @throws NotFoundError when no stored execution has this id (a just-finished one may still be queued:
   *   flush the recorder first; the collector does).
   */
  async recordFeedback(executionId: string, feedback: ExecutionFeedback): Promise<ExecutionMetric> {
    const issues: ValidationIssue[] = [];
    requireString(executionId, "execution_id", issues);
    if (feedback === null || typeof feedback !== "object") {
      issues.push({ field: "(feedback)", value: feedback, rule: "isObject", message: "feedback must be an object" });
      throw new MetricValidationError(issues, "feedback");
    }
    const set: Partial<Record<keyof ExecutionMetric, unknown>> = { userFeedbackReceived: true };
    for (const [key, value] of Object.entries(feedback)) {
      const column = FEEDBACK_COLUMNS[key as keyof ExecutionFeedback];
      if (column === undefined) {
        issues.push({
          field: key,
          value,
          rule: "unknownField",
          message: `is not a feedback field (${Object.keys(FEEDBACK_COLUMNS).join(", ")})`,
        });
        continue;
      }
      if (value === undefined) continue;
      const issue = feedbackIssue(key as keyof ExecutionFeedback, column, value);
      if (issue) issues.push(issue);
      else set[key as keyof ExecutionMetric] = key === "notes" && value !== null ? truncateText(value as string, LIMITS.textCap) : value;
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "feedback");
    // Queued behind the recorder's transactions: on the shared sqlite connection it would otherwise run inside one.
    const result = await serializeWrite(this.dataSource, () =>
      this.dataSource
        .createQueryBuilder()
        .update(ExecutionMetric)
        .set(set as never)
        .where("execution_id = :executionId", { executionId })
        .execute(),
    );
    if (!result.affected) throw NotFoundError.execution(executionId);
    return (await this.dataSource.getRepository(ExecutionMetric).findOneBy({ executionId })) as ExecutionMetric;
  }

  /**
   * Mean, sample stddev and p95 of total_duration_ms over the skill's finished executions that started in the
   * trailing window [now − windowMillis, now): the baseline anomaly detection compares new executions with.
   * Definitions as in profiles (statistics.ts).
   */
  async getBaseline(skillId: string, options: BaselineOptions): Promise<DurationBaseline> {
    const issues: ValidationIssue[] = [];
    requireString(skillId, "skillId", issues);
    const windowMillis = options?.windowMillis;
    if (typeof windowMillis !== "number" || !Number.isFinite(windowMillis) || windowMillis <= 0) {
      issues.push({ field: "windowMillis", value: windowMillis, rule: "positive", message: "must be a number of milliseconds > 0" });
    }
    const now = options?.now ?? this.options.clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      issues.push({ field: "now", value: now, rule: "isDate", message: "must be a valid Date" });
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "baseline query");
    const from = new Date(now.getTime() - windowMillis);
    const summary = await summarizeDurations(
      this.query,
      { where: "skill_id = ? AND started_at >= ? AND started_at < ?", params: [skillId, from.toISOString(), now.toISOString()] },
      [0.95],
    );
    return {
      skillId,
      from,
      to: now,
      count: summary.count,
      meanDurationMs: summary.mean,
      stddevDurationMs: summary.stddev,
      p95DurationMs: summary.percentiles[0],
    };
  }

  private async errorGroups(key: string, where: string, params: unknown[], limit: number): Promise<ErrorGroup[]> {
    // Ties are broken in byte order on every database: SQLite's default; PostgreSQL's database collation may be
    // linguistic (en_US.UTF-8 orders `a-b` between `aa` and `ab`), so "C" is asked for. The rows sorted are
    // the skill's failures only, so no index is given up.
    const bytes = this.dialect === "postgres" ? ` COLLATE "C"` : "";
    const rows = await this.query<{ k: string | null; n: unknown; first_seen: string; last_seen: string; example: string }>(
      `SELECT k, n, first_seen, last_seen, example FROM (
         SELECT k, execution_id AS example,
           COUNT(*) OVER (PARTITION BY k) AS n,
           MIN(started_at) OVER (PARTITION BY k) AS first_seen,
           MAX(started_at) OVER (PARTITION BY k) AS last_seen,
           ROW_NUMBER() OVER (PARTITION BY k ORDER BY started_at DESC, execution_id${bytes} DESC) AS rn
         FROM (SELECT ${key} AS k, started_at, execution_id FROM execution_metrics WHERE ${where}) f
       ) g WHERE rn = 1
       ORDER BY n DESC, last_seen DESC, CASE WHEN k IS NULL THEN 1 ELSE 0 END, k${bytes} LIMIT ${limit}`,
      params,
    );
    return rows.map((r) => ({
      key: r.k,
      count: toNumber(r.n),
      firstSeenAt: new Date(r.first_seen),
      lastSeenAt: new Date(r.last_seen),
      exampleExecutionId: r.example,
    }));
  }

  private build(query: MetricsQuery): {
    builder: SelectQueryBuilder<ExecutionMetric>;
    limit: number;
    order: "asc" | "desc";
  } {
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
    const limit = query.limit ?? this.options.defaultLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > this.options.maxLimit) {
      issues.push({ field: "limit", value: limit, rule: "range", message: `must be a whole number in [1, ${this.options.maxLimit}]` });
    }
    const builder = this.dataSource.getRepository(ExecutionMetric).createQueryBuilder("m");
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
      } else {
        builder.andWhere("m.status IN (:...statuses)", { statuses });
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
        builder.andWhere("(m.errorCategory = :errorCategory OR m.errorCategory IS NULL)", { errorCategory: "unknown" });
      } else {
        builder.andWhere("m.errorCategory = :errorCategory", { errorCategory: query.errorCategory });
      }
    }
    if (query.tags !== undefined) this.addTags(builder, query, issues);
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
        builder.andWhere(
          `m.startedAt ${cmp}= :cursorStartedAt AND (m.startedAt ${cmp} :cursorStartedAt OR m.executionId ${cmp} :cursorId)`,
          { cursorStartedAt: cursor.startedAt, cursorId: cursor.executionId },
        );
      }
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "metrics query");
    const direction = order === "desc" ? "DESC" : "ASC";
    builder.orderBy("m.startedAt", direction).addOrderBy("m.executionId", direction);
    return { builder, limit, order };
  }

  private addTags(builder: SelectQueryBuilder<ExecutionMetric>, query: MetricsQuery, issues: ValidationIssue[]): void {
    const tags = query.tags;
    const match = query.tagMatch ?? "all";
    if (match !== "all" && match !== "any") {
      issues.push({ field: "tagMatch", value: match, rule: "isIn", message: 'must be "all" or "any"' });
      return;
    }
    if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== "string" || t.length === 0)) {
      issues.push({ field: "tags", value: tags, rule: "isArray", message: "must be a non-empty array of non-empty strings" });
      return;
    }
    const subquery = (condition: string) =>
      `m.executionId IN (SELECT t.execution_id FROM execution_tags t WHERE ${condition})`;
    if (match === "any") {
      builder.andWhere(subquery("t.tag IN (:...anyTags)"), { anyTags: [...new Set(tags)] });
      return;
    }
    [...new Set(tags)].forEach((tag, i) => builder.andWhere(subquery(`t.tag = :tag${i}`), { [`tag${i}`]: tag }));
  }
}

/** Records an issue unless `value` is a non-empty string; returns whether it is one. */
function requireString(value: unknown, field: string, issues: ValidationIssue[]): boolean {
  if (typeof value === "string" && value.length > 0) return true;
  issues.push({ field, value, rule: "isString", message: "must be a non-empty string" });
  return false;
}

/** A Date or ISO-8601 string as the stored form (UTC, milliseconds), or undefined with an issue recorded. */
function toIso(value: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  const date =
    value instanceof Date ? value : typeof value === "string" && ISO_TIMESTAMP_PATTERN.test(value) ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    issues.push({ field, value, rule: "isDate", message: "must be a Date or an ISO-8601 timestamp with a zone" });
    return undefined;
  }
  return date.toISOString();
}

function feedbackIssue(key: keyof ExecutionFeedback, column: string, value: unknown): ValidationIssue | null {
  if (value === null) return null;
  if (key === "notes") {
    return typeof value === "string" ? null : { field: column, value, rule: "isString", message: "must be a string" };
  }
  if (key === "userSatisfaction") {
    return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5
      ? null
      : { field: column, value, rule: "range", message: "must be a whole number from 1 to 5" };
  }
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1
    ? null
    : { field: column, value, rule: "range", message: "must be a number from 0 to 1" };
}
