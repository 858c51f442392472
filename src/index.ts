/**
 * skill-metrics: execution metrics for AI agent skills. Every public export is listed here by name; anything
 * not listed (the queue, the spill file, encoders, limits and markers used inside) is internal and may change.
 * Types are exported with `export type`; test/unit/architecture/public-surface.test.ts holds the exact list.
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
// A type only: contexts are made by the SDK (decorator, track(), start()), never with `new`.
export type { ExecutionContext, EndResult, TokenUsage, ApiCallUsage } from "./tracking/ExecutionContext";
export type { TrackOptions, StartOptions } from "./tracking/tracking-options";
export { classifyError, ERROR_CATEGORIES } from "./tracking/classify-error";
export type { ErrorClassifier, ErrorClassificationContext, ErrorCategoryId } from "./tracking/classify-error";
export { OutputValidationError } from "./tracking/OutputValidationError";

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
export { ExecutionAnomaly } from "./storage/entities/ExecutionAnomaly.entity";
export { ExecutionReview } from "./storage/entities/ExecutionReview.entity";
export { CorrectiveAction } from "./storage/entities/CorrectiveAction.entity";
export { LearningLink } from "./storage/entities/LearningLink.entity";
export { ANOMALY_SEVERITIES } from "./model/annotation-values";
export type { AnomalySeverity, AnnotationStatus } from "./model/annotation-values";
export { EXECUTION_METRIC_COLUMNS } from "./model/execution-metric-columns";
export type { ExecutionMetricRow, ExecutionStatus } from "./model/execution-metric-columns";
export { LIMITS } from "./model/limits";
export { createDataSource, openDatabase, SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS } from "./storage/data-source";
export type { DatabaseOptions } from "./storage/data-source";

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
  BaselineMetric,
  BaselineOf,
  NumericBaseline,
  NumericBaselineMetric,
  SuccessRateBaseline,
  ConfidenceInterval,
  MetricsQueryServiceOptions,
} from "./services/MetricsQueryService";
export { ProfileService } from "./services/ProfileService";
export type { ProfileServiceOptions } from "./services/ProfileService";
export { VariantComparisonService } from "./services/VariantComparisonService";
export type {
  CompareVariantsOptions,
  VariantComparison,
  MetricComparison,
  ComparisonSide,
  ComparisonVerdict,
  OverallVerdict,
  VariantCount,
} from "./services/VariantComparisonService";
export { RecommendationService, RECOMMENDATION_RULES } from "./services/RecommendationService";
export type {
  Recommendation,
  RecommendationKind,
  RecommendationOptions,
  RecommendationServiceOptions,
} from "./services/RecommendationService";
export { ExportService } from "./exchange/ExportService";
export type { CsvExportOptions, JsonExportOptions, ExportOptions, ExportResult } from "./exchange/ExportService";
export type { ExportDestination } from "./exchange/export-destination";
export type { ExportFilter } from "./exchange/metric-filter";
export { ImportService } from "./exchange/ImportService";
export type { ImportFormat, ImportOptions, ImportIssue, ImportReport } from "./exchange/ImportService";

export { ReportService } from "./report/ReportService";
export type { ReportOptions, ReportResult } from "./report/ReportService";
export type { ReportFilter } from "./report/report-data";

// Annotations of executions (anomalies, review, corrective actions, learning links)
export { AnomalyService } from "./services/AnomalyService";
export type { AnomalyMark, AnomalyResolution, AnomalyQuery, AnomalyPage } from "./services/AnomalyService";
export { ReviewService } from "./services/ReviewService";
export type { ReviewFlag, ReviewResolution, ReviewQueueQuery, ReviewPage } from "./services/ReviewService";
export { CorrectiveActionService } from "./services/CorrectiveActionService";
export type { CorrectiveActionInput, CorrectiveActionQuery } from "./services/CorrectiveActionService";
export { LearningLinkService } from "./services/LearningLinkService";
export type { LearningLinkOptions, LearningLinkQuery, LearningLinkPage } from "./services/LearningLinkService";

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
