import type { SkillProfile } from "../storage/entities/SkillProfile.entity";
import type { Highlight } from "./highlight-rules";
import { ZERO_BUCKET } from "./log-buckets";
import { PAGE_CSS, SORT_SCRIPT } from "./page-assets";
import type { ReportData, SkillSeries, TimeAxis } from "./report-data";
import {
  costAndTokensSvg,
  executionsOverTimeSvg,
  failureCategoriesSvg,
  formatMillis,
  latencyHistogramSvg,
  SvgChartRenderer,
} from "./svg-charts";

/** Everything the page shows, gathered by ReportService. */
export interface ReportModel {
  readonly title: string;
  readonly generatedAt: Date;
  /** The filter as given, for the header (ISO text). */
  readonly skillId?: string;
  readonly from?: string;
  readonly to?: string;
  /** The profiles to list and give a section each, sorted by skill_id. */
  readonly profiles: readonly SkillProfile[];
  readonly highlights: ReadonlyMap<string, Highlight>;
  /** The skills that get a section of charts; the others get a one-line note (see ReportOptions.maxSkillSections). */
  readonly sectionSkills: ReadonlySet<string>;
  readonly data: ReportData;
  /** HTML list items of the Definitions section. */
  readonly definitions: readonly string[];
  /** The "Anomalies" HTML of each skill section that has anomalies in range (see report-anomalies.ts). */
  readonly anomalies?: ReadonlyMap<string, string>;
  /** The "Variants" HTML of each skill section with two or more variants in range (see report-variants.ts). */
  readonly variants?: ReadonlyMap<string, string>;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The whole report: one HTML document with inline CSS, inline SVG charts and an inline sort script. The same
 * model gives the same bytes (see {@link renumberChartIds}).
 */
export function renderReportHtml(model: ReportModel): string {
  return renumberChartIds(renderPage(model));
}

/**
 * ECharts names each chart's clip paths and CSS classes from process-wide counters (`zr17-c0`, `zr17-cls-85`);
 * numbering those names in order of appearance instead keeps them unique within the page and makes the page
 * depend only on its data. Only id, class, url(#…) and CSS selector positions are rewritten, never text.
 */
function renumberChartIds(html: string): string {
  const names = new Map<string, string>();
  return html.replace(/(class="|id="|url\(#|\.)(zr\d+-(?:cls-|c)\d+)\b/g, (_match, before: string, name: string) => {
    let renamed = names.get(name);
    if (renamed === undefined) names.set(name, (renamed = `zr-${names.size + 1}`));
    return before + renamed;
  });
}

function renderPage(model: ReportModel): string {
  const renderer = new SvgChartRenderer();
  let sections: string[];
  try {
    sections = model.profiles.map((p, i) =>
      model.sectionSkills.has(p.skillId)
        ? withAnomalies(
            withAnomalies(
              skillSection(renderer, p, i, model.data.skills.get(p.skillId), model.data.axis, model.highlights.get(p.skillId)),
              model.variants?.get(p.skillId),
            ),
            model.anomalies?.get(p.skillId),
          )
        : omittedSection(p, i),
    );
  } finally {
    renderer.dispose();
  }
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(model.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(model.title)}</h1>`,
    `<p class="meta">${headerLine(model)}</p>`,
    "</header>",
    '<section id="overview">',
    "<h2>Overview</h2>",
    overviewTable(model),
    "</section>",
    ...sections,
    '<section id="definitions">',
    "<h2>Definitions</h2>",
    `<ul>${model.definitions.map((d) => `<li>${d}</li>`).join("\n")}</ul>`,
    "</section>",
    `<script>${SORT_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function headerLine(model: ReportModel): string {
  const parts = [`Generated ${escapeHtml(model.generatedAt.toISOString())}`];
  parts.push(`range: ${escapeHtml(model.from ?? "first execution")} → ${escapeHtml(model.to ?? "last execution")}`);
  if (model.skillId !== undefined) parts.push(`skill: ${escapeHtml(model.skillId)}`);
  const axis = model.data.axis;
  if (axis) parts.push(`${axis.granularity === "hour" ? "hourly" : axis.granularity === "day" ? "daily" : "monthly"} buckets`);
  parts.push(`${model.profiles.length} skill${model.profiles.length === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

interface Column {
  readonly label: string;
  readonly type: "text" | "number";
  readonly cell: (p: SkillProfile, index: number, highlight: Highlight | undefined) => { value: string; html: string };
}

const COLUMNS: readonly Column[] = [
  {
    label: "Skill",
    type: "text",
    cell: (p, i, h) => ({
      value: p.skillId,
      html: `<a href="#skill-${i}">${escapeHtml(p.skillId)}</a>${badges(h)}`,
    }),
  },
  { label: "Executions", type: "number", cell: (p) => num(p.totalExecutions, String(p.totalExecutions)) },
  { label: "Success rate", type: "number", cell: (p) => num(p.successRate, percent(p.successRate)) },
  { label: "Median", type: "number", cell: (p) => num(p.medianDurationMs, millis(p.medianDurationMs)) },
  { label: "p95", type: "number", cell: (p) => num(p.p95DurationMs, millis(p.p95DurationMs)) },
  { label: "p99", type: "number", cell: (p) => num(p.p99DurationMs, millis(p.p99DurationMs)) },
  { label: "Mean cost (USD)", type: "number", cell: (p) => num(p.meanCostPerExecution, usd(p.meanCostPerExecution)) },
  { label: "Total cost (USD)", type: "number", cell: (p) => num(p.totalCostUsd, usd(p.totalCostUsd)) },
  { label: "Faster", type: "text", cell: (p) => text(flag(p.gettingFaster)) },
  { label: "Cheaper", type: "text", cell: (p) => text(flag(p.gettingCheaper)) },
  { label: "Success trend", type: "text", cell: (p) => text(p.successRateTrend ?? "—") },
];

function overviewTable(model: ReportModel): string {
  if (model.profiles.length === 0) return '<p class="note">No finished executions match this report.</p>';
  const head = COLUMNS.map(
    (c) => `<th data-type="${c.type}" scope="col"><button type="button">${escapeHtml(c.label)}</button></th>`,
  ).join("");
  const rows = model.profiles.map((p, i) => {
    const h = model.highlights.get(p.skillId);
    const classes = [h?.failing ? "failing" : "", h?.slow ? "slow" : ""].filter(Boolean).join(" ");
    const cells = COLUMNS.map((c) => {
      const { value, html } = c.cell(p, i, h);
      return `<td data-value="${escapeHtml(value)}">${html}</td>`;
    }).join("");
    return `<tr${classes ? ` class="${classes}"` : ""}>${cells}</tr>`;
  });
  return `<div class="scroll"><table id="overview-table" class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

/** The anchor the overview links to for a skill drawn without charts, saying how to draw it. */
function omittedSection(profile: SkillProfile, index: number): string {
  const id = escapeHtml(profile.skillId);
  return (
    `<p class="skill-omitted" id="skill-${index}" data-skill-id="${id}">${id}: no charts in this report, which draws ` +
    `the busiest and highlighted skills only; <code>skill-metrics report --skill "${id}"</code> draws this one.</p>`
  );
}

function skillSection(
  renderer: SvgChartRenderer,
  profile: SkillProfile,
  index: number,
  series: SkillSeries | undefined,
  axis: TimeAxis | null,
  highlight: Highlight | undefined,
): string {
  const id = escapeHtml(profile.skillId);
  const parts = [
    `<section class="skill" id="skill-${index}" data-skill-id="${id}">`,
    `<h2>${id}${badges(highlight)}</h2>`,
    '<dl class="stats">',
    stat("Trend: faster", flag(profile.gettingFaster)),
    stat("cheaper", flag(profile.gettingCheaper)),
    stat("success rate", profile.successRateTrend ?? "—"),
    stat("as of", profile.calculatedAt.toISOString()),
    "</dl>",
  ];
  if (!series || !axis) {
    parts.push('<p class="note">No finished executions in this range.</p>', "</section>");
    return parts.join("\n");
  }
  const finished = series.finished;
  const successes = series.timeline.reduce((s, p) => s + p.success, 0);
  parts.push(
    '<dl class="stats">',
    stat("In range: executions", String(finished)),
    stat("success rate", percent(finished > 0 ? successes / finished : null)),
    stat("median", millis(series.median)),
    stat("p95", millis(series.p95)),
    stat("p99", millis(series.p99)),
    "</dl>",
  );
  const histogram = latencyHistogramSvg(renderer, series);
  const zeros = series.histogram.find((b) => b.index === ZERO_BUCKET)?.count ?? 0;
  parts.push("<h3>Latency distribution</h3>");
  parts.push(histogram ? figure("latency", histogram) : '<p class="note">No duration above 0 ms in this range.</p>');
  if (zeros > 0) parts.push(`<p class="note">${zeros} execution${zeros === 1 ? "" : "s"} took 0 ms (not on the log axis).</p>`);
  parts.push("<h3>Executions and success rate over time</h3>", figure("timeline", executionsOverTimeSvg(renderer, series, axis)));
  const failures = failureCategoriesSvg(renderer, series);
  parts.push("<h3>Failure categories</h3>");
  parts.push(failures ? figure("failures", failures) : '<p class="note">No failures in this range.</p>');
  const cost = costAndTokensSvg(renderer, series, axis);
  if (cost) parts.push("<h3>Cost and tokens over time</h3>", figure("cost", cost));
  parts.push("</section>");
  return parts.join("\n");
}

/** A skill section with `part` (its variants' or anomalies' HTML) as the section's last part, when there is one. */
function withAnomalies(section: string, anomalies: string | undefined): string {
  if (anomalies === undefined) return section;
  const end = section.lastIndexOf("</section>");
  return `${section.slice(0, end)}${anomalies}\n${section.slice(end)}`;
}

function figure(kind: string, svg: string): string {
  return `<figure class="chart" data-chart="${kind}">${svg}</figure>`;
}

function stat(label: string, value: string): string {
  return `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`;
}

function badges(h: Highlight | undefined): string {
  return (
    (h?.failing ? ' <span class="badge failing">failing</span>' : "") +
    (h?.slow ? ' <span class="badge slow">slow</span>' : "")
  );
}

function num(value: number | null, shown: string): { value: string; html: string } {
  return { value: value === null ? "" : String(value), html: escapeHtml(shown) };
}

function text(shown: string): { value: string; html: string } {
  return { value: shown === "—" ? "" : shown, html: escapeHtml(shown) };
}

function flag(value: boolean | null): string {
  return value === null ? "—" : value ? "yes" : "no";
}

function percent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

function millis(value: number | null): string {
  return value === null ? "—" : formatMillis(value);
}

function usd(value: number | null): string {
  if (value === null) return "—";
  return value === 0 ? "0" : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
