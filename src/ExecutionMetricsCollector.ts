import type { Readable } from "node:stream";
import { isMainThread } from "node:worker_threads";
import type { DataSource } from "typeorm";
import {
  createDataSource,
  type DatabaseOptions,
  DEFAULT_DATABASE_PATH,
  openDatabase,
  postgresByUrl,
} from "./storage/data-source";
import type { ExecutionMetricRow } from "./model/execution-metric-columns";
import { LIMITS } from "./model/limits";
import { ConfigurationError, SkillMetricsError, StorageError } from "./errors";
import type { ExportDestination } from "./exchange/export-destination";
import type { ExportFilter } from "./exchange/metric-filter";
import { settleWithin } from "./recording/deadline";
import type { MetricStore } from "./recording/MetricStore";
import { DEFAULT_SHUTDOWN_TIMEOUT_MILLIS, Recorder, type RecorderStats, type ShutdownOptions } from "./recording/Recorder";
import { checkMillis, type RecorderOptions, resolveRecorderOptions } from "./recording/RecorderOptions";
import { dialectOf } from "./storage/dialect";
import { isDataSourceLike } from "./storage/data-source-like";
import { SqlMetricStore, sqliteFilePath } from "./storage/SqlMetricStore";
import { newGateMemory } from "./recording/writer/call-gate";
import { WriterThreadStore } from "./recording/writer/WriterThreadStore";
import {
  type CsvExportOptions,
  type ExportResult,
  ExportService,
  type JsonExportOptions,
} from "./exchange/ExportService";
import { type ImportOptions, type ImportReport, ImportService } from "./exchange/ImportService";
import {
  type BaselineMetric,
  type BaselineOf,
  type BaselineOptions,
  type ErrorAnalysis,
  type ErrorAnalysisOptions,
  type ExecutionFeedback,
  type MetricsPage,
  type MetricsQuery,
  MetricsQueryService,
} from "./services/MetricsQueryService";
import { ProfileService, type ProfileServiceOptions } from "./services/ProfileService";
import {
  type CompareVariantsOptions,
  type VariantComparison,
  VariantComparisonService,
  type VariantCount,
} from "./services/VariantComparisonService";
import { type Recommendation, type RecommendationOptions, RecommendationService } from "./services/RecommendationService";
import { type AnomalyMark, type AnomalyPage, type AnomalyQuery, type AnomalyResolution, AnomalyService } from "./services/AnomalyService";
import { type CorrectiveActionInput, type CorrectiveActionQuery, CorrectiveActionService } from "./services/CorrectiveActionService";
import { type LearningLinkOptions, type LearningLinkPage, type LearningLinkQuery, LearningLinkService } from "./services/LearningLinkService";
import { type ReviewFlag, type ReviewPage, type ReviewQueueQuery, type ReviewResolution, ReviewService } from "./services/ReviewService";
import type { CorrectiveAction } from "./storage/entities/CorrectiveAction.entity";
import type { ExecutionAnomaly } from "./storage/entities/ExecutionAnomaly.entity";
import type { ExecutionReview } from "./storage/entities/ExecutionReview.entity";
import type { LearningLink } from "./storage/entities/LearningLink.entity";
import { type ReportResult, ReportService } from "./report/ReportService";
import type { ReportFilter } from "./report/report-data";
import type { ExecutionMetric } from "./storage/entities/ExecutionMetric.entity";
import type { SkillProfile } from "./storage/entities/SkillProfile.entity";
import type { ErrorClassifier } from "./tracking/classify-error";
import { getDefaultSink, setDefaultSink } from "./tracking/default-sink";
import type { EndResult, ExecutionContext } from "./tracking/ExecutionContext";
import type { ExecutionSink } from "./tracking/ExecutionSink";
import type { ExecutionTracer } from "./tracking/execution-tracer";
import type { OpenTelemetryCollectorOptions } from "./opentelemetry/OpenTelemetryCollectorOptions";
import { startExecution } from "./tracking/track";
import { COLLECTOR_SINK } from "./tracking/execution-internals";
import type { StartOptions } from "./tracking/tracking-options";
import { resolveLatencyBudgets } from "./tracking/latency-budget";
import { validateMetricRecord } from "./validation/validate-record";

/**
 * Options of {@link ExecutionMetricsCollector.create}: where the metrics live (DatabaseOptions), how rows
 * reach the database (RecorderOptions), and defaults for every execution. Every field is optional.
 */
export interface CollectorOptions extends DatabaseOptions, RecorderOptions {
  /** environment written into executions whose own options name none (≤ 64 characters). Default: none. */
  environment?: string;
  /** agent_id written into executions whose own options name none (≤ 255 characters). Default: none. */
  agentId?: string;
  /** Classifier for failures whose decorator/track options name none. Default: the built-in `classifyError`. */
  classifyError?: ErrorClassifier;
  /**
   * Latency budgets by skill id, in milliseconds (each finite, > 0), e.g. `{ "Summarizer.summarize": 2000 }`:
   * executions of a listed skill whose own options give no `latencyBudgetMillis` are stored with
   * `latency_acceptable = total_duration_ms ≤ budget`. Default: none (latency_acceptable null).
   */
  latencyBudgetMillisBySkill?: Readonly<Record<string, number>>;
  /**
   * Rewrites every tracked failure's error_message and error_trace before they are cut to their caps and
   * stored, e.g. `(text) => text.replace(/Bearer \S+/g, "Bearer [redacted]")`. Called on the skill's call
   * path, so keep it cheap. If it throws or returns a non-string, the field is stored as "[redaction failed]"
   * (never unredacted) and the problem goes to onError. Records given to record() and import() are stored as
   * given. Default: none (texts are stored as thrown, cut at LIMITS.textCap / LIMITS.traceCap characters).
   */
  redactError?: (text: string, field: "error_message" | "error_trace") => string;
  /**
   * Become the collector that `@TrackExecution` and `track()` record to. Default true; the latest collector
   * created with it wins, and shutting it down unsets it.
   */
  setAsDefault?: boolean;
  /** Trend windows, minimum sample and threshold of the profiles (see ProfileServiceOptions). Default: 7 days, 20, 10%. */
  profiles?: ProfileServiceOptions;
  /**
   * Mirror every tracked execution as an OpenTelemetry span (`true`, or `{ tracer }`): started in the active
   * context, so it nests under the application's span and tracked calls inside nest under it, with the GenAI
   * attributes (`gen_ai.operation.name` = `execute_tool`, `gen_ai.tool.name` = the skill id, tokens, model)
   * and `skill_metrics.execution_id`; its status mirrors the outcome. Needs the optional peers
   * `@opentelemetry/api` and `@opentelemetry/sdk-trace-base`: without them create() throws ConfigurationError
   * (code `SKILL_METRICS_OPENTELEMETRY_MISSING`). Default: off (the core never loads OpenTelemetry).
   */
  openTelemetry?: boolean | OpenTelemetryCollectorOptions;
}

/** Direct-API executions are swept for ended ones whenever this many have been started since the last sweep. */
const OPEN_EXECUTION_SWEEP = 1024;

/**
 * The facade application code uses: it opens (and migrates) the database, records executions through a
 * bounded, batched recorder, answers queries, and exports. See the README's API tour.
 *
 * @example
 * const metrics = await ExecutionMetricsCollector.create({ database: "execution_metrics.db" });
 * // … decorated skills run …
 * await metrics.exportCsv("metrics_export.csv");
 * await metrics.shutdown();
 */
export class ExecutionMetricsCollector {
  private readonly recorder: Recorder;
  private readonly sink: ExecutionSink;
  private readonly exports: ExportService;
  private readonly imports: ImportService;
  private readonly profiles: ProfileService;
  private readonly queries: MetricsQueryService;
  private readonly reports: ReportService;
  private readonly variants: VariantComparisonService;
  private readonly recommendations: RecommendationService;
  private readonly anomalies: AnomalyService;
  private readonly reviews: ReviewService;
  private readonly correctiveActions: CorrectiveActionService;
  private readonly learningLinks: LearningLinkService;
  /** Direct-API executions that may still be open; ended ones are swept out now and then. */
  private openExecutions = new Set<ExecutionContext>();
  private startedSinceSweep = 0;
  private shutdownPromise: Promise<void> | undefined;

  private constructor(
    /** The TypeORM DataSource holding the metrics (yours, when you passed one). */
    readonly dataSource: DataSource,
    recorder: Recorder,
    private readonly store: MetricStore,
    private readonly ownsDataSource: boolean,
    options: CollectorOptions,
    tracer: ExecutionTracer | undefined,
  ) {
    this.recorder = recorder;
    this.sink = {
      submit: (row) => recorder.submit(row),
      reportError: (error) => recorder.reportError(error),
      environment: options.environment ?? null,
      agentId: options.agentId ?? null,
      classifyError: options.classifyError,
      redactError: options.redactError,
      latencyBudgetsMillis: resolveLatencyBudgets(options.latencyBudgetMillisBySkill, "latencyBudgetMillisBySkill"),
      ...(tracer === undefined ? {} : { tracer }),
    };
    this.profiles = new ProfileService(dataSource, options.profiles);
    this.exports = new ExportService(dataSource, this.profiles);
    this.imports = new ImportService(dataSource);
    this.queries = new MetricsQueryService(dataSource);
    this.reports = new ReportService(dataSource, { profileOptions: options.profiles });
    this.variants = new VariantComparisonService(dataSource);
    this.recommendations = new RecommendationService(dataSource, { profiles: this.profiles });
    this.anomalies = new AnomalyService(dataSource);
    this.reviews = new ReviewService(dataSource);
    this.correctiveActions = new CorrectiveActionService(dataSource);
    this.learningLinks = new LearningLinkService(dataSource);
  }

  /**
   * Opens the database (SQLite file `execution_metrics.db` unless told otherwise), runs pending migrations,
   * replays rows a previous process left in the spill file, and — unless `setAsDefault: false` — becomes the
   * collector that decorators and `track()` record to.
   *
   * @throws ConfigurationError for an invalid option (a `database` file that is not SQLite too); StorageError
   *   when the database cannot be opened.
   */
  static async create(options: CollectorOptions = {}): Promise<ExecutionMetricsCollector> {
    // Everything is checked before anything is opened: a bad option leaves no file, listener or connection.
    checkDefaults(options);
    if (!isMainThread) throw ConfigurationError.workerThread();
    resolveRecorderOptions(options);
    const tracer = executionTracerFor(options.openTelemetry);
    let dataSource: DataSource;
    try {
      dataSource = createDataSource(options);
    } catch (error) {
      throw StorageError.wrap(error, "Opening the metrics database failed");
    }
    // The application's DataSource (of its own TypeORM: recognised by shape, not instanceof) stays the
    // application's to close; one built here from options or a path is the collector's.
    const ownsDataSource = !isDataSourceLike(options.dataSource);
    let store: MetricStore | undefined;
    try {
      await openDatabase(dataSource);
      store = recorderStoreFor(dataSource, options);
      const recorder = new Recorder(
        store,
        { ...options, spillPath: options.spillPath === undefined ? defaultSpillPath(dataSource) : options.spillPath },
        validateMetricRecord,
      );
      const collector = new ExecutionMetricsCollector(dataSource, recorder, store, ownsDataSource, options, tracer);
      // In the background: a large backlog must not hold up the application's start. Queries wait for it
      // (they flush first), so they still read every recorded row.
      recorder.replaySpill().catch((error: unknown) => recorder.reportError(error));
      if (options.setAsDefault ?? true) setDefaultSink(collector.sink);
      return collector;
    } catch (error) {
      await store?.close?.().catch(() => undefined);
      if (ownsDataSource && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      const wrapped = StorageError.wrap(error, `Opening the metrics database failed`);
      // A path to a file that is not SQLite is a wrong option, not a failing database.
      if (wrapped instanceof StorageError && wrapped.driverCode === "SQLITE_NOTADB") {
        throw ConfigurationError.notADatabase(String(dataSource.options.database), wrapped.cause);
      }
      throw wrapped;
    }
  }

  /**
   * Starts an execution that you end: `exec.end({ status, outputSizeBytes, … })`, or by disposing it —
   * `using exec = metrics.start("json_writer")` ends it with success (or failure after `exec.fail()`).
   * An execution never ended is recorded with status "running" at shutdown() and reported.
   *
   * @throws ConfigurationError if the skill id or an option is invalid.
   */
  start(skillId: string, options?: StartOptions): ExecutionContext {
    const execution = startExecution(this.sink, skillId, options);
    if (++this.startedSinceSweep >= OPEN_EXECUTION_SWEEP) this.sweepEnded();
    this.openExecutions.add(execution);
    return execution;
  }

  /** The sink tracked executions of this collector go to (read by the span processor of the opentelemetry subpath). @internal */
  get [COLLECTOR_SINK](): ExecutionSink {
    return this.sink;
  }

  /** Same as {@link start}: the specification's name. */
  startExecution(skillId: string, options?: StartOptions): ExecutionContext {
    return this.start(skillId, options);
  }

  /**
   * Ends an execution started here: the same as `execution.end(result)`.
   *
   * @throws ExecutionStateError if it has already ended; MetricValidationError for a bad value in `result`.
   */
  endExecution(execution: ExecutionContext, result?: EndResult): void {
    execution.end(result);
  }

  /**
   * Records one execution given in the snake_case plain form of exports (`execution_id` may be left out:
   * a UUIDv7 is generated). The record is validated first and queued like a tracked one.
   *
   * @returns the execution_id.
   * @throws MetricValidationError naming the field and rule; nothing is recorded.
   */
  record(plain: Record<string, unknown>): string {
    this.assertOpen();
    const row: ExecutionMetricRow = validateMetricRecord(plain, { generateId: true });
    this.recorder.submit(row);
    return row.execution_id;
  }

  /** Resolves when everything recorded before the call is committed (or, if the database failed, spilled). */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  /** Counts of what the recorder has done: submitted, written, spilled, replayed, dropped rows. */
  get stats(): RecorderStats {
    return this.recorder.stats;
  }

  /**
   * One page of executions matching `query` (skill, half-open [from, to) on started_at, status, environment,
   * job, tags, error category), newest first unless `order: "asc"`. Pass `nextCursor` back as `after` for the
   * next page (keyset pagination: every page costs the same). Everything recorded before the call is included.
   */
  getMetrics(query?: MetricsQuery): Promise<MetricsPage> {
    return this.guarded("Reading executions failed", () => this.queries.getMetrics(query));
  }

  /** Failed and timed-out executions of `skillId` grouped by category and by message, with counts and examples. */
  getErrorAnalysis(skillId: string, options?: ErrorAnalysisOptions): Promise<ErrorAnalysis> {
    return this.guarded("Reading the error analysis failed", () => this.queries.getErrorAnalysis(skillId, options));
  }

  /**
   * Records user feedback on an execution and marks user_feedback_received.
   *
   * @throws NotFoundError for an unknown id; MetricValidationError for a value out of range. Nothing changes then.
   */
  recordFeedback(executionId: string, feedback: ExecutionFeedback): Promise<ExecutionMetric> {
    return this.guarded("Recording feedback failed", () => this.queries.recordFeedback(executionId, feedback));
  }

  /**
   * A skill's statistics over the trailing window for one metric (default duration): count, mean, sample
   * stddev, p50/p95/p99 of duration, cost, tokens_in, tokens_out, output_quality or correctness; the rate and its
   * Wilson interval for success_rate. The baseline anomaly detection reads. See MetricsQueryService.getBaseline.
   */
  getBaseline<M extends BaselineMetric = "duration">(skillId: string, options: BaselineOptions<M>): Promise<BaselineOf<M>> {
    return this.guarded("Reading the baseline failed", () => this.queries.getBaseline(skillId, options));
  }

  /**
   * Compares two variants of a skill (executions recorded with `variant`) over [from, to): per metric the sample
   * sizes, each side's statistic (median duration, success rate, mean cost), difference, relative change,
   * two-sided p-value (Mann-Whitney U, pooled two-proportion z, Welch's t), significance at `alpha` (default
   * 0.05) and a verdict, plus an overall verdict. See VariantComparisonService.
   *
   * @throws MetricValidationError naming the option, or naming `baseline`/`candidate` (rule hasExecutions) when
   *   that variant has no finished execution in the range.
   */
  compareVariants(skillId: string, options: CompareVariantsOptions): Promise<VariantComparison> {
    return this.guarded("Comparing the variants failed", () => this.variants.compareVariants(skillId, options));
  }

  /** The variants of a skill with finished executions, most executions first. */
  listVariants(skillId: string, options?: { from?: Date | string; to?: Date | string }): Promise<VariantCount[]> {
    return this.guarded("Listing the variants failed", () => this.variants.listVariants(skillId, options));
  }

  /**
   * Improvement recommendations for one skill or all, each with the numbers behind it: promote or retire a
   * variant, a dominant error category, a p95 or cost growth or a success-rate decline week over week. The
   * rules and thresholds: RECOMMENDATION_RULES (RecommendationService).
   */
  getRecommendations(options?: RecommendationOptions): Promise<Recommendation[]> {
    return this.guarded("Reading the recommendations failed", () => this.recommendations.getRecommendations(options));
  }

  /**
   * Marks an execution as anomalous (Phase 2a): `detector` (1–255 characters) and `kind` (1–64) required;
   * `score` (finite), `severity` (low, medium, high, critical) and `details` (an object, ≤ 64 KiB as JSON)
   * optional. Returns the anomaly's id; it is "open" until resolveAnomaly. Executions recorded before the call
   * are found (the recorder is flushed first).
   *
   * @throws MetricValidationError naming the field and rule; NotFoundError for an unknown execution. Nothing is written then.
   */
  markAnomaly(executionId: string, mark: AnomalyMark): Promise<string> {
    return this.guarded("Marking the anomaly failed", () => this.anomalies.markAnomaly(executionId, mark));
  }

  /**
   * One page of anomalies (filters: skill, [from, to) on the execution's started_at, detector, kind, status),
   * newest execution first. Pass `nextCursor` back as `after` for the next page.
   */
  getAnomalies(query?: AnomalyQuery): Promise<AnomalyPage> {
    return this.guarded("Reading anomalies failed", () => this.anomalies.getAnomalies(query));
  }

  /**
   * Resolves an open anomaly with a `resolution` (1–255 characters) and optional `notes`; returns it.
   *
   * @throws NotFoundError for an unknown id; ExecutionStateError (code SKILL_METRICS_ALREADY_RESOLVED) when it
   *   was resolved before; MetricValidationError for a bad resolution.
   */
  resolveAnomaly(anomalyId: string, resolution: AnomalyResolution): Promise<ExecutionAnomaly> {
    return this.guarded("Resolving the anomaly failed", () => this.anomalies.resolveAnomaly(anomalyId, resolution));
  }

  /**
   * Flags an execution for a person's review (Phase 2b) with a `reason` (1–4,096 characters) and optionally
   * who flagged it (`by`, 1–255). Returns the flag's id; it waits in the review queue until resolveReview.
   *
   * @throws MetricValidationError naming the field and rule; NotFoundError for an unknown execution.
   */
  flagForReview(executionId: string, flag: ReviewFlag): Promise<string> {
    return this.guarded("Flagging the execution for review failed", () => this.reviews.flagForReview(executionId, flag));
  }

  /** One page of the review queue: flags with status "open" unless told, of one skill or all, oldest first. */
  getReviewQueue(query?: ReviewQueueQuery): Promise<ReviewPage> {
    return this.guarded("Reading the review queue failed", () => this.reviews.getReviewQueue(query));
  }

  /**
   * Resolves an open review flag with a `resolution` (1–255 characters) and optional `notes`; returns it.
   *
   * @throws NotFoundError for an unknown id; ExecutionStateError (code SKILL_METRICS_ALREADY_RESOLVED) when it
   *   was resolved before; MetricValidationError for a bad resolution.
   */
  resolveReview(reviewId: string, resolution: ReviewResolution): Promise<ExecutionReview> {
    return this.guarded("Resolving the review failed", () => this.reviews.resolveReview(reviewId, resolution));
  }

  /**
   * Records what was done about an execution or an anomaly: exactly one of `executionId` and `anomalyId`,
   * the `action` (1–4,096 characters), optionally `by` (1–255) and `notes`. Returns the action's id.
   *
   * @throws MetricValidationError (rule "exactlyOne" when both or neither id is given); NotFoundError for an
   *   unknown execution or anomaly.
   */
  recordCorrectiveAction(input: CorrectiveActionInput): Promise<string> {
    return this.guarded("Recording the corrective action failed", () => this.correctiveActions.recordCorrectiveAction(input));
  }

  /** The corrective actions recorded about one execution or one anomaly (exactly one id), oldest first. */
  getCorrectiveActions(query: CorrectiveActionQuery): Promise<CorrectiveAction[]> {
    return this.guarded("Reading corrective actions failed", () => this.correctiveActions.getCorrectiveActions(query));
  }

  /**
   * Links an execution to a learning of Phase 2b (`learningId`, 1–255 characters) with a `relation` (1–64,
   * default "related"). One link per pair: linking again replaces the relation. Returns the link.
   *
   * @throws MetricValidationError naming the field and rule; NotFoundError for an unknown execution.
   */
  linkLearning(executionId: string, learningId: string, options?: LearningLinkOptions): Promise<LearningLink> {
    return this.guarded("Linking the learning failed", () => this.learningLinks.linkLearning(executionId, learningId, options));
  }

  /** One page of the executions linked to `learningId`, each link with its execution, in execution_id order. */
  getExecutionsForLearning(learningId: string, query?: LearningLinkQuery): Promise<LearningLinkPage> {
    return this.guarded("Reading the learning's executions failed", () => this.learningLinks.getExecutionsForLearning(learningId, query));
  }

  /**
   * The SkillProfile of `skillId` from the materialized table, recomputed first when executions were recorded
   * (or changed) since it was calculated; null when the skill has no finished execution.
   */
  getSkillProfile(skillId: string): Promise<SkillProfile | null> {
    return this.guarded("Reading the skill profile failed", () => this.profiles.getSkillProfile(skillId));
  }

  /** Every skill's profile, sorted by skill_id, recomputing stale ones first. */
  getSkillProfiles(): Promise<SkillProfile[]> {
    return this.guarded("Reading the skill profiles failed", () => this.profiles.getSkillProfiles());
  }

  /** Recomputes and stores the profile of `skillId`, or of every skill; returns the stored profiles. */
  refreshProfiles(skillId?: string): Promise<SkillProfile[]> {
    return this.guarded("Refreshing the skill profiles failed", () => this.profiles.refresh(skillId));
  }

  /**
   * Streams executions to CSV (header of snake_case columns, RFC 4180, formula cells neutralised by default).
   * `destination`: a file path (written to a temporary name, renamed on success) or a Writable.
   */
  exportCsv(destination: ExportDestination, filter?: ExportFilter, options?: CsvExportOptions): Promise<ExportResult> {
    return this.guarded("Exporting CSV failed", () => this.exports.exportCsv(destination, filter, options));
  }

  /** Streams executions as a JSON array (default) or NDJSON (`{ format: "ndjson" }`), snake_case keys. */
  exportJson(destination: ExportDestination, filter?: ExportFilter, options?: JsonExportOptions): Promise<ExportResult> {
    return this.guarded("Exporting JSON failed", () => this.exports.exportJson(destination, filter, options));
  }

  /** Writes every SkillProfile (refreshed first) with calculated_at and the definitions' version. */
  exportStatsJson(destination: ExportDestination): Promise<ExportResult> {
    return this.guarded("Exporting the statistics failed", () => this.exports.exportStatsJson(destination));
  }

  /**
   * Writes the self-contained HTML report (overview of every profile, per-skill charts as inline SVG, the
   * definitions) to a file path (atomically) or a Writable. `filter`: `skillId`, and `from`/`to` for the charts.
   */
  writeReport(destination: ExportDestination, filter?: ReportFilter): Promise<ReportResult> {
    return this.guarded("Writing the report failed", () => this.reports.writeReport(destination, filter));
  }

  /**
   * Imports this project's CSV/JSON/NDJSON exports: every record validated, valid ones committed in batches,
   * invalid ones reported with line, field and rule (`strict: true` writes nothing if any is invalid).
   * Re-importing a file adds nothing: execution_id is the key.
   */
  import(source: string | Readable, options?: ImportOptions): Promise<ImportReport> {
    return this.guarded("Importing failed", () => this.imports.import(source, options));
  }

  /**
   * Ends recording: executions started with start() and never ended are recorded with status "running"
   * (and reported), everything queued is written, the process hooks are removed, and the DataSource is closed
   * if the collector opened it. Resolves within `timeoutMillis` (default 10,000) whatever the database does:
   * rows not committed by then are in the spill file, replayed on the next start. Runs once; later calls
   * return the first call's promise.
   *
   * @throws ConfigurationError for an invalid timeoutMillis (nothing is shut down then).
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const timeoutMillis = options?.timeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS;
    checkMillis("timeoutMillis", timeoutMillis);
    this.shutdownPromise = this.close(timeoutMillis);
    return this.shutdownPromise;
  }

  private async close(timeoutMillis: number): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    if (getDefaultSink() === this.sink) setDefaultSink(null);
    const abandoned = [...this.openExecutions].filter((execution) => !execution.isEnded);
    for (const execution of abandoned) execution.abandon("running");
    this.openExecutions.clear();
    if (abandoned.length > 0) {
      this.recorder.reportError(
        new SkillMetricsError(
          `${abandoned.length} execution(s) started with start()/startExecution() were never ended; ` +
            `recorded with status "running": ${abandoned.slice(0, 5).map((e) => e.executionId).join(", ")}`,
          { code: "SKILL_METRICS_EXECUTIONS_NOT_ENDED" },
        ),
      );
    }
    await this.recorder.shutdown({ timeoutMillis });
    // Closing waits for a hung connection's statement to end: bounded by what is left of the deadline (every
    // row is committed or in the spill file by now).
    const closing = (async () => {
      await this.store.close?.();
      if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
    })().catch((error: unknown) => this.recorder.reportError(StorageError.wrap(error, "Closing the metrics database failed")));
    const timedOut = await settleWithin(closing, Math.max(1, deadline - Date.now()));
    // A write hung on a frozen server would keep the writer thread, and so the process, alive.
    if (timedOut) this.store.abandon?.();
  }

  /**
   * Runs a read or a write of the services after flushing what was recorded before it (read your own writes).
   * Whatever the driver throws reaches the caller as a StorageError with the driver's error as `cause`.
   */
  private async guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.recorder.flush();
    try {
      return await run();
    } catch (error) {
      throw StorageError.wrap(error, what);
    }
  }

  private assertOpen(): void {
    if (this.shutdownPromise) throw ConfigurationError.closed();
  }

  private sweepEnded(): void {
    this.startedSinceSweep = 0;
    for (const execution of this.openExecutions) if (execution.isEnded) this.openExecutions.delete(execution);
  }
}

/**
 * The recorder's store: a writer thread with a connection of its own (the application's thread only hands
 * batches over) for the SQLite file or PostgreSQL URL the collector opened itself; the DataSource on this thread
 * for `:memory:` (no other connection can reach it) and for DataSources the user passed in (their options,
 * driver and lifetime are the application's).
 */
function recorderStoreFor(dataSource: DataSource, options: CollectorOptions): MetricStore {
  const postgres = postgresByUrl(options);
  if (postgres !== null) {
    const { url, connectTimeoutMillis, statementTimeoutMillis, queryTimeoutMillis } = postgres;
    return new WriterThreadStore({ kind: "postgres", url, connectTimeoutMillis, statementTimeoutMillis, queryTimeoutMillis });
  }
  const filePath = sqliteFilePath(dataSource);
  // The thread uses node-sqlite3, the library of the collector's own DataSource: two SQLite libraries in one
  // process cannot see each other's POSIX locks (a better-sqlite3 thread beside it corrupted the file).
  if (options.dataSource === undefined && filePath !== null && dataSource.options.type === "sqlite") {
    const busyTimeoutMillis = (dataSource.options as { busyTimeout?: number }).busyTimeout ?? 5000;
    return new WriterThreadStore({ kind: "sqlite", filePath, busyTimeoutMillis, gate: newGateMemory() });
  }
  return new SqlMetricStore(dataSource);
}

/** A spill file beside a SQLite file; for :memory: none; for a server, in the working directory. */
function defaultSpillPath(dataSource: DataSource): string | null {
  if (dialectOf(dataSource) === "sqlite") {
    const database = (dataSource.options as { database?: string }).database ?? DEFAULT_DATABASE_PATH;
    return database === ":memory:" || database === "" ? null : `${database}.spill.ndjson`;
  }
  return "skill-metrics.spill.ndjson";
}

/**
 * The tracer of the `openTelemetry` option, or undefined when it is off. The implementation is loaded here and
 * only here, so that the core never loads `@opentelemetry/*` unless the option is given.
 *
 * @throws ConfigurationError when the option is malformed or the optional peers are not installed.
 */
function executionTracerFor(option: CollectorOptions["openTelemetry"]): ExecutionTracer | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (option === null || typeof option !== "object" || Array.isArray(option))) {
    throw ConfigurationError.invalidOption("openTelemetry", "must be true, false or an object { tracer? }");
  }
  const spans = require("./opentelemetry/execution-spans") as typeof import("./opentelemetry/execution-spans");
  return spans.createExecutionTracer(option === true ? {} : option);
}

function checkDefaults(options: CollectorOptions): void {
  if (options === null || typeof options !== "object") {
    throw ConfigurationError.invalidOption("options", "must be an object");
  }
  const text = (name: "environment" | "agentId", max: number) => {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value.length === 0 || value.length > max)) {
      throw ConfigurationError.invalidOption(name, `must be a string of 1 to ${max} characters`);
    }
  };
  text("environment", LIMITS.environmentLength);
  text("agentId", LIMITS.identifierLength);
  if (options.classifyError !== undefined && typeof options.classifyError !== "function") {
    throw ConfigurationError.invalidOption("classifyError", "must be a function (error, context) => category");
  }
  if (options.redactError !== undefined && typeof options.redactError !== "function") {
    throw ConfigurationError.invalidOption("redactError", "must be a function (text, field) => redacted text");
  }
  resolveLatencyBudgets(options.latencyBudgetMillisBySkill, "latencyBudgetMillisBySkill");
}
