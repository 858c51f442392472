/**
 * skill-metrics: execution metrics for AI agent skills. Every public export is listed here by name; anything
 * not listed (the queue, the spill file, encoders) is internal and may change.
 */
import "reflect-metadata";

// The facade
export { ExecutionMetricsCollector } from "./ExecutionMetricsCollector";
export type { CollectorOptions } from "./ExecutionMetricsCollector";

// Tracking
export { TrackExecution } from "./tracking/TrackExecution";
export type { TrackExecutionDecorator } from "./tracking/TrackExecution";
export { track } from "./tracking/track";
export { currentExecution } from "./tracking/current-execution";
export { ExecutionContext } from "./tracking/ExecutionContext";
export type { EndResult, TokenUsage, ApiCallUsage } from "./tracking/ExecutionContext";
export type { TrackOptions, StartOptions } from "./tracking/tracking-options";
export { classifyError, ERROR_CATEGORIES } from "./tracking/classify-error";
export type { ErrorClassifier, ErrorClassificationContext, ErrorCategoryId } from "./tracking/classify-error";
export { OutputValidationError } from "./tracking/OutputValidationError";
export { PRE_START_BUFFER_LIMIT } from "./tracking/default-sink";
export { REDACTION_FAILED_TEXT } from "./tracking/ExecutionSink";

// Recording
export type { RecorderOptions } from "./recording/RecorderOptions";
export type { RecorderStats, ShutdownOptions } from "./recording/Recorder";
export { RepeatedProblemsError } from "./recording/ErrorReporter";

// Data model and database
export { ExecutionMetric } from "./storage/entities/ExecutionMetric.entity";
export { SkillProfile } from "./storage/entities/SkillProfile.entity";
export type { SuccessRateTrend } from "./storage/entities/SkillProfile.entity";
export { ErrorCategory } from "./storage/entities/ErrorCategory.entity";
export type { ErrorSeverity } from "./storage/entities/ErrorCategory.entity";
export {
  EXECUTION_METRIC_COLUMNS,
  EXECUTION_METRIC_COLUMN_NAMES,
  EXECUTION_STATUSES,
  FINISHED_STATUSES,
  METRIC_VERSION,
} from "./model/execution-metric-columns";
export type { ExecutionMetricRow, ExecutionStatus, ColumnSpec, ColumnKind } from "./model/execution-metric-columns";
export { LIMITS, TRUNCATION_MARKER } from "./model/limits";
export {
  createDataSource,
  openDatabase,
  SKILL_METRICS_ENTITIES,
  SKILL_METRICS_MIGRATIONS,
  DEFAULT_DATABASE_PATH,
} from "./storage/data-source";
export type { DatabaseOptions } from "./storage/data-source";
export { validateMetricRecord } from "./validation/validate-record";

// Services
export { MetricsQueryService } from "./services/MetricsQueryService";
export type {
  MetricsQuery,
  MetricsPage,
  ErrorAnalysis,
  ErrorGroup,
  ErrorAnalysisOptions,
  ExecutionFeedback,
  BaselineOptions,
  DurationBaseline,
  MetricsQueryServiceOptions,
} from "./services/MetricsQueryService";
export { ProfileService } from "./services/ProfileService";
export type { ProfileServiceOptions } from "./services/ProfileService";
export { ExportService, STATS_DEFINITIONS_VERSION } from "./exchange/ExportService";
export type { CsvExportOptions, JsonExportOptions, ExportOptions, ExportResult } from "./exchange/ExportService";
export type { ExportDestination } from "./exchange/export-destination";
export type { ExportFilter } from "./exchange/metric-filter";
export { ImportService } from "./exchange/ImportService";
export type { ImportFormat, ImportOptions, ImportIssue, ImportReport } from "./exchange/ImportService";

export { ReportService } from "./report/ReportService";
export type { ReportOptions, ReportResult } from "./report/ReportService";
export type { ReportFilter } from "./report/report-data";

// Errors
export {
  SkillMetricsError,
  MetricValidationError,
  ExecutionStateError,
  NotFoundError,
  ConfigurationError,
  StorageError,
  RecordingError,
} from "./errors";
export type { ValidationIssue, SkillMetricsErrorOptions } from "./errors";
