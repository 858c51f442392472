import type { DataSource } from "typeorm";
import { NotFoundError, StorageError } from "../errors";
import { type CsvExportOptions, ExportService, type ExportResult, type JsonExportOptions } from "../exchange/ExportService";
import type { ExportDestination } from "../exchange/export-destination";
import type { ExportFilter } from "../exchange/metric-filter";
import type { ReportFilter } from "../report/report-data";
import { type ReportResult, ReportService } from "../report/ReportService";
import { type ErrorAnalysis, type ErrorAnalysisOptions, MetricsQueryService } from "../services/MetricsQueryService";
import { ProfileService } from "../services/ProfileService";
import { type AnomalyPage, type AnomalyQuery, AnomalyService } from "../services/AnomalyService";
import { type ReviewPage, type ReviewQueueQuery, ReviewService } from "../services/ReviewService";
import { type Recommendation, type RecommendationOptions, RecommendationService } from "../services/RecommendationService";
import { type CompareVariantsOptions, type VariantComparison, VariantComparisonService } from "../services/VariantComparisonService";
import type { SkillProfile } from "../storage/entities/SkillProfile.entity";
import { openReadOnlyDatabase } from "../storage/read-only-database";
import { type CliContext, stringOption } from "./cli-context";

/**
 * What the reading commands (profile, errors, export, report, anomalies, review, compare, recommendations) use: the collector's reading methods over a
 * database opened read-only (see openReadOnlyDatabase), with no recorder, spill file or migration.
 */
export class MetricsReader {
  private readonly profiles: ProfileService;
  private readonly exports: ExportService;
  private readonly queries: MetricsQueryService;
  private readonly reports: ReportService;
  private readonly anomalies: AnomalyService;
  private readonly reviews: ReviewService;
  private readonly variants: VariantComparisonService;
  private readonly recommendations: RecommendationService;

  constructor(
    /** The read-only DataSource. */
    readonly dataSource: DataSource,
  ) {
    this.profiles = new ProfileService(dataSource);
    this.exports = new ExportService(dataSource, this.profiles);
    this.queries = new MetricsQueryService(dataSource);
    this.reports = new ReportService(dataSource);
    this.anomalies = new AnomalyService(dataSource);
    this.reviews = new ReviewService(dataSource);
    this.variants = new VariantComparisonService(dataSource);
    this.recommendations = new RecommendationService(dataSource, { profiles: this.profiles });
  }

  /** The SQLite file read, or null on PostgreSQL. */
  get databaseFile(): string | null {
    return this.dataSource.options.type === "sqlite" ? String(this.dataSource.options.database) : null;
  }

  /** @throws NotFoundError "no executions of skill 'S'" when nothing of `skillId` is recorded. */
  async assertSkillExists(skillId: string): Promise<void> {
    const rows = await this.guarded("Reading executions failed", () =>
      this.dataSource.query(
        `SELECT 1 AS found FROM execution_metrics WHERE skill_id = ${this.dataSource.options.type === "postgres" ? "$1" : "?"} LIMIT 1`,
        [skillId],
      ) as Promise<unknown[]>,
    );
    if (rows.length === 0) throw new NotFoundError(`no executions of skill '${skillId}'`);
  }

  getErrorAnalysis(skillId: string, options?: ErrorAnalysisOptions): Promise<ErrorAnalysis> {
    return this.guarded("Reading the error analysis failed", () => this.queries.getErrorAnalysis(skillId, options));
  }

  getSkillProfile(skillId: string): Promise<SkillProfile | null> {
    return this.guarded("Reading the skill profile failed", () => this.profiles.getSkillProfile(skillId));
  }

  getSkillProfiles(): Promise<SkillProfile[]> {
    return this.guarded("Reading the skill profiles failed", () => this.profiles.getSkillProfiles());
  }

  exportCsv(destination: ExportDestination, filter?: ExportFilter, options?: CsvExportOptions): Promise<ExportResult> {
    return this.guarded("Exporting CSV failed", () => this.exports.exportCsv(destination, filter, options));
  }

  exportJson(destination: ExportDestination, filter?: ExportFilter, options?: JsonExportOptions): Promise<ExportResult> {
    return this.guarded("Exporting JSON failed", () => this.exports.exportJson(destination, filter, options));
  }

  exportStatsJson(destination: ExportDestination, options?: { end?: boolean }): Promise<ExportResult> {
    return this.guarded("Exporting the statistics failed", () => this.exports.exportStatsJson(destination, options));
  }

  writeReport(destination: ExportDestination, filter?: ReportFilter): Promise<ReportResult> {
    return this.guarded("Writing the report failed", () => this.reports.writeReport(destination, filter));
  }

  getAnomalies(query?: AnomalyQuery): Promise<AnomalyPage> {
    return this.guarded("Reading anomalies failed", () => this.anomalies.getAnomalies(query));
  }

  getReviewQueue(query?: ReviewQueueQuery): Promise<ReviewPage> {
    return this.guarded("Reading the review queue failed", () => this.reviews.getReviewQueue(query));
  }

  compareVariants(skillId: string, options: CompareVariantsOptions): Promise<VariantComparison> {
    return this.guarded("Comparing the variants failed", () => this.variants.compareVariants(skillId, options));
  }

  getRecommendations(options?: RecommendationOptions): Promise<Recommendation[]> {
    return this.guarded("Reading the recommendations failed", () => this.recommendations.getRecommendations(options));
  }

  private async guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw StorageError.wrap(error, what);
    }
  }
}

/** Runs `body` with a reader on the database the global options name (opened read-only), and closes it. */
export async function withReader<T>(context: CliContext, body: (reader: MetricsReader) => Promise<T>): Promise<T> {
  const database = await openReadOnlyDatabase({ database: stringOption(context, "db"), url: stringOption(context, "db-url") });
  try {
    return await body(new MetricsReader(database.dataSource));
  } finally {
    await database.close();
  }
}
