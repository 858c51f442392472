import { join, resolve } from "node:path";
import * as ts from "typescript";

/**
 * The package's public surface is exactly the list below: src/index.ts (the package entry) exports these
 * runtime values and these types, types with `export type`. An export added or removed by accident fails
 * here; one added on purpose is added to the list (and to README's "Public API"). Internals (buffers,
 * markers, encoders, the column table's element type…) stay importable from their own modules inside the
 * package, never from the entry.
 *
 * The declarations are checked as the build emits them (tsconfig.build.json, `stripInternal`): members marked
 * `@internal`, such as ExecutionContext's constructor, do not appear in the published .d.ts.
 */
const ROOT = resolve(__dirname, "../../..");
const ENTRY = join(ROOT, "src/index.ts");

/** Runtime values: classes, functions and constants a user calls or reads. */
const VALUES = [
  // The facade and tracking
  "ExecutionMetricsCollector",
  "TrackExecution",
  "track",
  "currentExecution",
  "classifyError",
  "ERROR_CATEGORIES",
  // Data model and database, for a DataSource of one's own
  "ExecutionMetric",
  "SkillProfile",
  "ErrorCategory",
  "ExecutionAnomaly",
  "ExecutionReview",
  "CorrectiveAction",
  "LearningLink",
  "ANOMALY_SEVERITIES",
  "EXECUTION_METRIC_COLUMNS",
  "LIMITS",
  "createDataSource",
  "openDatabase",
  "SKILL_METRICS_ENTITIES",
  "SKILL_METRICS_MIGRATIONS",
  // Services over a DataSource
  "MetricsQueryService",
  "ProfileService",
  "ExportService",
  "ImportService",
  "ReportService",
  "VariantComparisonService",
  "RecommendationService",
  "RECOMMENDATION_RULES",
  "AnomalyService",
  "ReviewService",
  "CorrectiveActionService",
  "LearningLinkService",
  // Errors
  "SkillMetricsError",
  "MetricValidationError",
  "ExecutionStateError",
  "NotFoundError",
  "ConfigurationError",
  "StorageError",
  "RecordingError",
  "OutputValidationError",
  "RepeatedProblemsError",
];

/** Types only (interfaces, type aliases, and ExecutionContext, a class made by the SDK, never with `new`). */
const TYPES = [
  "CollectorOptions",
  "TrackExecutionDecorator",
  "ExecutionContext",
  "EndResult",
  "TokenUsage",
  "ApiCallUsage",
  "TrackOptions",
  "StartOptions",
  "ErrorClassifier",
  "ErrorClassificationContext",
  "ErrorCategoryId",
  "RecorderOptions",
  "RecorderStats",
  "ShutdownOptions",
  "SuccessRateTrend",
  "ErrorSeverity",
  "ExecutionMetricRow",
  "ExecutionStatus",
  "DatabaseOptions",
  "MetricsQuery",
  "MetricsPage",
  "ErrorAnalysis",
  "ErrorGroup",
  "ErrorAnalysisOptions",
  "ExecutionFeedback",
  "BaselineOptions",
  "DurationBaseline",
  "BaselineMetric",
  "BaselineOf",
  "NumericBaseline",
  "NumericBaselineMetric",
  "SuccessRateBaseline",
  "ConfidenceInterval",
  "CompareVariantsOptions",
  "VariantComparison",
  "MetricComparison",
  "ComparisonSide",
  "ComparisonVerdict",
  "OverallVerdict",
  "VariantCount",
  "Recommendation",
  "RecommendationKind",
  "RecommendationOptions",
  "RecommendationServiceOptions",
  "MetricsQueryServiceOptions",
  "ProfileServiceOptions",
  "CsvExportOptions",
  "JsonExportOptions",
  "ExportOptions",
  "ExportResult",
  "ExportDestination",
  "ExportFilter",
  "ImportFormat",
  "ImportOptions",
  "ImportIssue",
  "ImportReport",
  "ReportOptions",
  "ReportResult",
  "ReportFilter",
  "AnomalySeverity",
  "AnnotationStatus",
  "AnomalyMark",
  "AnomalyResolution",
  "AnomalyQuery",
  "AnomalyPage",
  "ReviewFlag",
  "ReviewResolution",
  "ReviewQueueQuery",
  "ReviewPage",
  "CorrectiveActionInput",
  "CorrectiveActionQuery",
  "LearningLinkOptions",
  "LearningLinkQuery",
  "LearningLinkPage",
  "ValidationIssue",
  "SkillMetricsErrorOptions",
];

const sorted = (names: Iterable<string>) => [...names].sort();
/** Loading all of src through ts-jest, or a program over it, takes tens of seconds on a cold cache. */
const SLOW = 180_000;

/** A program over the entry with the build's compiler options (tsconfig.build.json). */
function buildProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.build.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (parsed === undefined) throw new Error("tsconfig.build.json could not be read");
  return ts.createProgram({ rootNames: [ENTRY], options: { ...parsed.options, noEmit: false } });
}

/** Whether the entry's export `symbol` is written `export type { … }` (or `export { type … }`). */
function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  const declarations = symbol.declarations ?? [];
  return declarations.length > 0 && declarations.every((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
}

describe("public surface: what the package entry exports", () => {
  let program: ts.Program;
  let exported: ts.Symbol[];

  beforeAll(() => {
    program = buildProgram();
    const checker = program.getTypeChecker();
    const entry = program.getSourceFile(ENTRY);
    const moduleSymbol = entry && checker.getSymbolAtLocation(entry);
    if (moduleSymbol === undefined) throw new Error("src/index.ts is not a module");
    exported = checker.getExportsOfModule(moduleSymbol);
  }, SLOW);

  it("the lists hold no name twice and no name in both", () => {
    expect(new Set([...VALUES, ...TYPES]).size).toBe(VALUES.length + TYPES.length);
  });

  it("at run time, the entry exports exactly the listed values", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(ENTRY) as Record<string, unknown>;
    expect(sorted(Object.keys(entry))).toEqual(sorted(VALUES));
    for (const name of VALUES) expect(entry[name]).toBeDefined();
  }, SLOW);

  it("in its declarations, the entry exports exactly the listed values and types", () => {
    expect(sorted(exported.map((s) => s.name))).toEqual(sorted([...VALUES, ...TYPES]));
  });

  it("types are exported with `export type`, values without", () => {
    const typeOnly = exported.filter(isTypeOnlyExport).map((s) => s.name);
    expect(sorted(typeOnly)).toEqual(sorted(TYPES));
  });

  it("the built declarations strip @internal members: ExecutionContext shows no constructor", () => {
    const emitted = new Map<string, string>();
    const targets = ["src/tracking/ExecutionContext.ts", "src/index.ts"].map((file) => program.getSourceFile(join(ROOT, file)));
    for (const target of targets) {
      if (target === undefined) throw new Error("a checked file is not part of the program");
      const result = program.emit(target, (name, text) => emitted.set(name, text), undefined, true);
      expect(result.diagnostics).toEqual([]);
    }
    const declarationOf = (suffix: string) => {
      const entry = [...emitted].find(([name]) => name.endsWith(suffix));
      if (entry === undefined) throw new Error(`${suffix} was not emitted (got ${[...emitted.keys()].join(", ")})`);
      return entry[1];
    };
    const context = declarationOf("src/tracking/ExecutionContext.d.ts");
    expect(context).toContain("export declare class ExecutionContext");
    expect(context).toContain("recordTokens(usage: TokenUsage): this;");
    expect(context).not.toMatch(/\bconstructor\s*\(/);
    expect(context).not.toContain("@internal");
    // The symbol-keyed methods the tracking wrappers call are gone too.
    expect(context).not.toMatch(/\[(FINISH|RESTART_CLOCK|CAPTURE_ARGUMENTS)\]/);
    expect(declarationOf("src/index.d.ts")).toMatch(/export type \{ ExecutionContext,/);
  }, SLOW);
});
