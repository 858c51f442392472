import type { DataSource } from "typeorm";
import { serializeWrite } from "../storage/write-queue";
import { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";
import { ConfigurationError, MetricValidationError, NotFoundError, type ValidationIssue } from "../errors";
import { summarizeColumn } from "./column-summary";
import {
  BASELINE_METRICS,
  type BaselineMetric,
  type BaselineOf,
  type BaselineOptions,
  NUMERIC_BASELINE_COLUMNS,
  type NumericBaselineMetric,
} from "./metric-baseline";
import { wilsonInterval } from "./wilson-interval";
import { type ErrorAnalysis, type ErrorAnalysisOptions, queryErrorGroups } from "./error-analysis";
import { type ExecutionFeedback, feedbackChanges } from "./execution-feedback";
import { encodeCursor } from "./metrics-cursor";
import { buildMetricsPageQuery, type MetricsPage, type MetricsPageQuery, type MetricsQuery } from "./metrics-page-query";
import { requireString, toIso } from "./query-arguments";
import { type Dialect, dialectOf } from "../storage/dialect";
import { FAILED, FINISHED, type Query, queryFor, toNumber } from "../storage/sql-support";

// The types of this service's methods live beside the code that serves them; they stay importable from here.
export type { MetricsQuery, MetricsPage } from "./metrics-page-query";
export type { ErrorAnalysis, ErrorAnalysisOptions, ErrorGroup } from "./error-analysis";
export type { ExecutionFeedback } from "./execution-feedback";
export type {
  BaselineMetric,
  BaselineOf,
  BaselineOptions,
  DurationBaseline,
  NumericBaseline,
  NumericBaselineMetric,
  SuccessRateBaseline,
} from "./metric-baseline";
export type { ConfidenceInterval } from "./wilson-interval";

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
   * The baseline anomaly detection compares new executions with: a skill's finished executions that started in
   * the trailing window [now − windowMillis, now), summarized for one metric (default "duration"):
   * - duration, cost, tokens_in, tokens_out, output_quality, correctness: count of the executions with a value,
   *   mean, sample stddev, p50/p95/p99 (definitions as in profiles, statistics.ts); duration also keeps its
   *   original fields meanDurationMs, stddevDurationMs, p95DurationMs;
   * - success_rate: count, successes, rate and its 95% Wilson score interval.
   * @throws MetricValidationError naming `skillId`, `metric`, `windowMillis` or `now` when one is invalid.
   */
  async getBaseline<M extends BaselineMetric = "duration">(skillId: string, options: BaselineOptions<M>): Promise<BaselineOf<M>> {
    const issues: ValidationIssue[] = [];
    requireString(skillId, "skillId", issues);
    const metric: BaselineMetric = options?.metric ?? "duration";
    if (!BASELINE_METRICS.includes(metric)) {
      issues.push({ field: "metric", value: metric, rule: "isIn", message: `must be one of ${BASELINE_METRICS.join(", ")}` });
    }
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
    const scope = { where: "skill_id = ? AND started_at >= ? AND started_at < ?", params: [skillId, from.toISOString(), now.toISOString()] };

    if (metric === "success_rate") {
      const rows = await this.query<{ n: unknown; s: unknown }>(
        `SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS s FROM execution_metrics WHERE ${FINISHED} AND ${scope.where}`,
        scope.params,
      );
      const count = toNumber(rows[0]?.n ?? 0);
      const successes = count === 0 ? 0 : toNumber(rows[0]?.s ?? 0);
      return {
        skillId,
        metric,
        from,
        to: now,
        count,
        successes,
        rate: count === 0 ? null : successes / count,
        interval: wilsonInterval(successes, count),
      } as BaselineOf<M>;
    }
    const summary = await summarizeColumn(this.query, NUMERIC_BASELINE_COLUMNS[metric as NumericBaselineMetric], scope, [0.5, 0.95, 0.99]);
    const [p50, p95, p99] = summary.percentiles;
    const baseline = { skillId, metric, from, to: now, count: summary.count, mean: summary.mean, stddev: summary.stddev, p50, p95, p99 };
    if (metric !== "duration") return baseline as BaselineOf<M>;
    return { ...baseline, meanDurationMs: summary.mean, stddevDurationMs: summary.stddev, p95DurationMs: p95 } as BaselineOf<M>;
  }

  private build(query: MetricsQuery): MetricsPageQuery {
    return buildMetricsPageQuery(this.dataSource, query, this.options);
  }
}
