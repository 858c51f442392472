import type { DataSource } from "typeorm";
import { type ExportDestination, openDestination } from "../exchange/export-destination";
import { filterToSql } from "../exchange/metric-filter";
import { ProfileService, type ProfileServiceOptions } from "../services/ProfileService";
import { dialectOf } from "../storage/dialect";
import { queryFor } from "../storage/sql-support";
import type { SkillProfile } from "../storage/entities/SkillProfile.entity";
import { ConfigurationError } from "../errors";
import { type Highlight, highlightSkills } from "./highlight-rules";
import { definitionItems } from "./report-definitions";
import { loadReportData, type ReportFilter } from "./report-data";
import { anomaliesHtml, loadSkillAnomalies } from "./report-anomalies";
import { loadSkillVariantComparisons, variantsHtml } from "./report-variants";
import { renderReportHtml } from "./report-html";
import { loadEcharts } from "./svg-charts";

/** Options of {@link ReportService}. Every field is optional. */
export interface ReportOptions {
  /** The page title and heading. Default "Skill metrics report". */
  title?: string;
  /** The clock that stamps "Generated". Default `() => new Date()`. */
  clock?: () => Date;
  /**
   * Options of the ProfileService the overview table is read through (profiles that are missing or stale are
   * refreshed first, with these trend settings). Default: ProfileService's defaults.
   */
  profileOptions?: ProfileServiceOptions;
  /**
   * Skills drawn with a section of charts, at most: highlighted (failing or slow) skills first, then the rest by
   * executions; every skill stays in the overview table. Each section is ~30 KB, so the default, 40, keeps a
   * report of any number of skills under 2 MB. `--skill` draws any one skill.
   */
  maxSkillSections?: number;
}

/** What {@link ReportService.writeReport} wrote. */
export interface ReportResult {
  /** Size of the HTML file, in bytes (UTF-8). */
  readonly bytes: number;
  /** Skills in the report (rows of the overview table, one section each). */
  readonly skills: number;
  /** Finished executions the charts cover. */
  readonly executions: number;
  readonly generatedAt: Date;
}

const DEFAULT_TITLE = "Skill metrics report";
const DEFAULT_MAX_SKILL_SECTIONS = 40;

/**
 * Writes the self-contained HTML report: an overview table of every SkillProfile (sortable, slow and failing
 * skills highlighted, see highlight-rules.ts) and, per skill, a latency histogram, executions and success rate
 * over time, failure categories, cost and tokens over time and the trend flags, followed by the definitions used.
 *
 * The file needs nothing at view time (inline CSS, inline SVG charts rendered at export time, a few lines of
 * inline script for sorting) and fetches nothing. Every chart is aggregated in SQL (see report-data.ts), so the
 * page's size depends on the number of skills and time buckets, not on the number of executions.
 *
 * The CLI's `skill-metrics report --out FILE [--skill S] [--from T] [--to T]` (src/cli/commands/report.ts) calls
 * the collector's `writeReport(out, { skillId, from, to })`, which runs this service with the collector's
 * profile options.
 */
export class ReportService {
  private readonly title: string;
  private readonly clock: () => Date;
  private readonly profileOptions: ProfileServiceOptions;
  private readonly maxSkillSections: number;

  constructor(
    private readonly dataSource: DataSource,
    options: ReportOptions = {},
  ) {
    this.title = options.title ?? DEFAULT_TITLE;
    this.clock = options.clock ?? (() => new Date());
    this.profileOptions = options.profileOptions ?? {};
    this.maxSkillSections = options.maxSkillSections ?? DEFAULT_MAX_SKILL_SECTIONS;
    if (!Number.isInteger(this.maxSkillSections) || this.maxSkillSections < 1) {
      throw ConfigurationError.invalidOption("maxSkillSections", "must be a whole number ≥ 1");
    }
  }

  /**
   * The report as an HTML string.
   *
   * `filter.skillId` limits the report to one skill; `from` (inclusive) and `to` (exclusive) limit the charts to
   * executions started in that range (the overview table always shows the stored, all-time profiles).
   *
   * @throws ConfigurationError when the filter is invalid (naming the field and the rule), or when the optional
   * peer dependency `echarts` is not installed (`npm install echarts`).
   */
  async render(filter: ReportFilter = {}): Promise<string> {
    const { html } = await this.build(filter);
    return html;
  }

  /**
   * Writes the report to `destination`: a file path (written to a temporary name and renamed on success, so a
   * failure never leaves a half-written report) or a Writable stream.
   *
   * @throws ConfigurationError when the filter is invalid, or when `echarts` is not installed; nothing is written.
   */
  async writeReport(destination: ExportDestination, filter: ReportFilter = {}): Promise<ReportResult> {
    const { html, skills, executions, generatedAt } = await this.build(filter);
    const writer = await openDestination(destination);
    try {
      await writer.write(html);
      await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return { bytes: writer.bytes, skills, executions, generatedAt };
  }

  private async build(
    filter: ReportFilter,
  ): Promise<{ html: string; skills: number; executions: number; generatedAt: Date }> {
    // Validates the filter before any work, with the same messages as the exports.
    filterToSql(filter, () => "?");
    // ECharts (an optional peer dependency) draws the charts: without it, fail now, before any query.
    loadEcharts();
    const query = queryFor(this.dataSource, dialectOf(this.dataSource));
    const allProfiles = await new ProfileService(this.dataSource, this.profileOptions).getSkillProfiles();
    const profiles =
      filter.skillId === undefined ? allProfiles : allProfiles.filter((p) => p.skillId === filter.skillId);
    const data = await loadReportData(query, filter);
    const highlights = highlightSkills(profiles, allProfiles);
    const sectionSkills = chooseSectionSkills(profiles, highlights, this.maxSkillSections);
    const anomalies = await loadSkillAnomalies(this.dataSource, sectionSkills, {
      from: isoOrUndefined(filter.from),
      to: isoOrUndefined(filter.to),
    });
    const variants = await loadSkillVariantComparisons(this.dataSource, sectionSkills, {
      from: isoOrUndefined(filter.from),
      to: isoOrUndefined(filter.to),
    });
    const generatedAt = this.clock();
    const html = renderReportHtml({
      title: this.title,
      generatedAt,
      skillId: filter.skillId,
      from: isoOrUndefined(filter.from),
      to: isoOrUndefined(filter.to),
      profiles,
      highlights,
      sectionSkills,
      data,
      definitions: definitionItems(this.profileOptions),
      anomalies: new Map([...anomalies].map(([skillId, found]) => [skillId, anomaliesHtml(found)])),
      variants: new Map([...variants].map(([skillId, comparisons]) => [skillId, variantsHtml(comparisons)])),
    });
    let executions = 0;
    for (const s of data.skills.values()) executions += s.finished;
    return { html, skills: profiles.length, executions, generatedAt };
  }
}

function isoOrUndefined(value: Date | string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

/** Highlighted skills first, then the busiest, up to `max`; ties by skill_id, so the choice is stable. */
function chooseSectionSkills(
  profiles: readonly SkillProfile[],
  highlights: ReadonlyMap<string, Highlight>,
  max: number,
): Set<string> {
  const flagged = (p: SkillProfile) => {
    const h = highlights.get(p.skillId);
    return h !== undefined && (h.failing || h.slow) ? 1 : 0;
  };
  const ranked = [...profiles].sort(
    (a, b) => flagged(b) - flagged(a) || b.totalExecutions - a.totalExecutions || (a.skillId < b.skillId ? -1 : 1),
  );
  return new Set(ranked.slice(0, max).map((p) => p.skillId));
}
