import type { DataSource } from "typeorm";
import { serializeWrite } from "../storage/write-queue";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";
import { ConfigurationError, MetricValidationError, NotFoundError, type ValidationIssue } from "../errors";
import { summarizeDurations } from "./duration-statistics";
import type { BaselineOptions, DurationBaseline } from "./duration-baseline";
import { type ErrorAnalysis, type ErrorAnalysisOptions, queryErrorGroups } from "./error-analysis";
import { type ExecutionFeedback, feedbackChanges } from "./execution-feedback";
import { encodeCursor } from "./metrics-cursor";
import { buildMetricsPageQuery, type MetricsPage, type MetricsPageQuery, type MetricsQuery } from "./metrics-page-query";
import { requireString, toIso } from "./query-arguments";
import { type Dialect, dialectOf } from "../storage/dialect";
import { FAILED, type Query, queryFor, toNumber } from "../storage/sql-support";

// The types of this service's methods live beside the code that serves them; they stay importable from here.
export type { MetricsQuery, MetricsPage } from "./metrics-page-query";
export type { ErrorAnalysis, ErrorAnalysisOptions, ErrorGroup } from "./error-analysis";
export type { ExecutionFeedback } from "./execution-feedback";
export type { BaselineOptions, DurationBaseline } from "./duration-baseline";

/** Options of {@link MetricsQueryService}. Every field is optional. */
export interface MetricsQueryServiceOptions {
  /** Page size when a query gives no limit. Default 100. */
  defaultLimit?: number;
  /** Largest page size accepted. Default 10,000. */
  maxLimit?: number;
  /** The clock that ends getBaseline's window when no `now` is given. Default `() => new Date()`. */
  clock?: () => Date;
}

/**
 * Reads executions for application code: filtered pages, error analysis, duration baselines, and feedback.
 *
 * Every getMetrics filter is served by an index whose order is the page order, (filter, started_at,
 * execution_id): IDX_execution_metrics_skill_started, _started, _status_started, _environment_started,
 * _job_started, _error_category, and IDX_execution_tags_tag_started for tags; a page walks one index range and
 * stops after limit + 1 entries, with no sort (see {@link explainMetrics}). Pages are keyset pages over (started_at, execution_id): a cursor, never OFFSET, so
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
   * The plan of the statement getMetrics runs for `query`, one line per row: SQLite's `EXPLAIN QUERY PLAN`
   * details, or PostgreSQL's `EXPLAIN` text (without ANALYZE: nothing is run). A diagnostic, and the proof (in the
   * tests) that each filter walks an index in page order without sorting.
   */
  async explainMetrics(query: MetricsQuery = {}): Promise<string[]> {
    const { builder, limit } = this.build(query);
    const [sql, params] = builder.limit(limit + 1).getQueryAndParameters();
    if (this.dialect === "postgres") {
      const rows: { "QUERY PLAN": string }[] = await this.dataSource.query(`EXPLAIN ${sql}`, params);
      return rows.map((r) => r["QUERY PLAN"]);
    }
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
      byCategory: await queryErrorGroups(this.query, this.dialect, "COALESCE(error_category, 'unknown')", where, params, limit),
      byMessage: await queryErrorGroups(this.query, this.dialect, "error_message", where, params, limit),
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
    const set = feedbackChanges(feedback, issues);
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

  private build(query: MetricsQuery): MetricsPageQuery {
    return buildMetricsPageQuery(this.dataSource, query, this.options);
  }
}
