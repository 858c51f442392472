import type * as Echarts from "echarts";
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, EChartsOption } from "echarts";
import { ConfigurationError } from "../errors";
import { type LegendEntry, legendGraphics, layoutLegend } from "./chart-legend";
import { type LogBucket, ZERO_BUCKET } from "./log-buckets";
import { COLORS } from "./palette";
import type { SkillSeries, TimeAxis } from "./report-data";
import { timeBucketLabel } from "./time-buckets";

/**
 * The report's charts, rendered to SVG text at export time by Apache ECharts' server-side renderer (no browser,
 * no DOM): it computes the axes (log scale, readable ticks, label thinning), the stacking, the dual axes and the
 * legends, which is most of what makes a chart readable and what the report should not hand-write.
 */

/**
 * Width of every chart's coordinate system: the page's content width at its widest (max-width 1320 less twice
 * the 24 px padding, page-assets.ts). The SVG has this viewBox and the page draws it at 100% of the content
 * width, so a chart fills the page and its text stays at 11 px on a wide screen, scaling down on a narrow one.
 */
export const CHART_WIDTH = 1272;
/** Height of the plot area of a chart with axes (the legend's lines and the axes' labels come on top). */
const PLOT_HEIGHT = 190;

// "inherit": the charts' text takes the page's font, and each label's style attribute stays short.
const TEXT = { fontFamily: "inherit", fontSize: 11, color: COLORS.text };
/** Margins of the plot: room for the axes' labels left, right and below; the top is under the legend. */
const MARGIN = { left: 64, right: 64, bottom: 48 };
/** From the legend's last line to the plot's top: room for the y axes' names, drawn above the plot. */
const AXIS_NAME_ROOM = 30;
const LEGEND_TOP = 4;

/**
 * The legend of a chart laid out over its width (chart-legend.ts), as graphic elements, and the y at which the
 * chart's first plot starts below it.
 */
function legend(entries: readonly LegendEntry[]): { graphic: EChartsOption["graphic"]; plotTop: number } {
  const layout = layoutLegend(entries, MARGIN.left, CHART_WIDTH - MARGIN.right, LEGEND_TOP);
  return { graphic: legendGraphics(layout), plotTop: LEGEND_TOP + layout.height + AXIS_NAME_ROOM };
}

/**
 * The latency histogram of one skill on a logarithmic millisecond axis, each bucket drawn from its lower to its
 * upper bound, with vertical lines at the median, p95 and p99. Null when no duration is above 0 ms.
 */
export function latencyHistogramSvg(renderer: SvgChartRenderer, series: SkillSeries): string | null {
  const buckets = series.histogram.filter((b) => b.index !== ZERO_BUCKET);
  if (buckets.length === 0) return null;
  const marks: [string, number | null, "solid" | "dashed" | "dotted"][] = [
    ["median", series.median, "solid"],
    ["p95", series.p95, "dashed"],
    ["p99", series.p99, "dotted"],
  ];
  const low = buckets[0].lowerMs;
  const high = buckets[buckets.length - 1].upperMs;
  const drawnMarks = marks.filter((m): m is [string, number, "solid" | "dashed" | "dotted"] => m[1] !== null && m[1] > 0);
  // Each percentile's value is in its legend entry rather than on its line: labels on the lines collide when
  // p95 and p99 are close.
  const { graphic, plotTop } = legend([
    { name: "executions", color: COLORS.neutral, swatch: "box" },
    ...drawnMarks.map(([name, value, dash]) => ({ name: `${name} ${formatMillis(value)}`, color: COLORS.percentile, swatch: dash })),
  ]);
  const option: EChartsOption = {
    ...base(),
    graphic,
    grid: { ...MARGIN, top: plotTop, height: PLOT_HEIGHT },
    xAxis: {
      type: "log",
      logBase: 10,
      // Whole powers of ten at both ends, so that every histogram reads against the same tick marks.
      min: Math.pow(10, Math.floor(Math.log10(low))),
      max: Math.pow(10, Math.ceil(Math.log10(high))),
      name: "duration (log scale)",
      nameLocation: "middle",
      nameGap: 28,
      axisLabel: { formatter: (value: number) => formatMillis(value) },
    },
    yAxis: { type: "value", name: "executions", minInterval: 1 },
    series: [
      {
        type: "custom",
        name: "executions",
        silent: true,
        color: COLORS.neutral,
        renderItem: (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI) => {
          const topLeft = api.coord([api.value(0), api.value(2)]);
          const bottomRight = api.coord([api.value(1), 0]);
          return {
            type: "rect",
            shape: {
              x: topLeft[0],
              y: topLeft[1],
              width: Math.max(1, bottomRight[0] - topLeft[0] - 1),
              height: bottomRight[1] - topLeft[1],
            },
            style: { fill: COLORS.neutral },
          };
        },
        encode: { x: [0, 1], y: 2 },
        data: buckets.map((b: LogBucket) => [b.lowerMs, b.upperMs, b.count]),
      },
      // One empty series per percentile, carrying its marker line.
      ...drawnMarks.map(([name, value, dash]) => ({
        type: "line" as const,
        name: `${name} ${formatMillis(value)}`,
        color: COLORS.percentile,
        data: [],
        markLine: {
          silent: true,
          symbol: "none",
          label: { show: false },
          lineStyle: { color: COLORS.percentile, type: dash, width: 1.5 },
          data: [{ xAxis: value }],
        },
      })),
    ],
  };
  return renderer.render(option, plotTop + PLOT_HEIGHT + MARGIN.bottom);
}

/** Height of the success-rate strip above the executions of the timeline chart. */
const RATE_STRIP_HEIGHT = 56;

/**
 * Finished executions per time bucket, stacked by status, and above them, in a strip of its own sharing the
 * time axis, the success rate (percent): drawn over the bars, its line and dots sat on them. Buckets without
 * executions have no rate (a gap, not 0%); a rate between two gaps is drawn as a dot, since a line needs two
 * points.
 */
export function executionsOverTimeSvg(renderer: SvgChartRenderer, series: SkillSeries, axis: TimeAxis): string {
  const labels = axis.keys.map((k) => timeBucketLabel(k, axis.granularity));
  const { graphic, plotTop } = legend([
    { name: "success", color: COLORS.success, swatch: "box" },
    { name: "failure", color: COLORS.failure, swatch: "box" },
    { name: "timeout", color: COLORS.timeout, swatch: "box" },
    { name: "success rate", color: COLORS.percentile, swatch: "solid" },
  ]);
  const rates = series.timeline.map((p) => {
    const n = p.success + p.failure + p.timeout;
    return n === 0 ? null : round((100 * p.success) / n, 2);
  });
  const barsTop = plotTop + RATE_STRIP_HEIGHT + AXIS_NAME_ROOM + 8;
  const option: EChartsOption = {
    ...base(),
    graphic,
    grid: [
      { ...MARGIN, top: plotTop, height: RATE_STRIP_HEIGHT },
      { ...MARGIN, top: barsTop, height: PLOT_HEIGHT },
    ],
    xAxis: [
      { type: "category", gridIndex: 0, data: labels, axisLabel: { show: false }, axisTick: { show: false } },
      { type: "category", gridIndex: 1, data: labels, axisLabel: { hideOverlap: true } },
    ],
    yAxis: [
      { type: "value", gridIndex: 0, name: "success %", min: 0, max: 100, interval: 50 },
      { type: "value", gridIndex: 1, name: "executions", minInterval: 1 },
    ],
    series: [
      {
        type: "line",
        name: "success rate",
        xAxisIndex: 0,
        yAxisIndex: 0,
        silent: true,
        connectNulls: false,
        color: COLORS.percentile,
        lineStyle: { width: 1.5 },
        symbol: "none",
        data: rates.map((rate, i) =>
          rate !== null && (rates[i - 1] ?? null) === null && (rates[i + 1] ?? null) === null
            ? { value: rate, symbol: "circle", symbolSize: 5 }
            : rate,
        ),
      },
      stackedBar("success", COLORS.success, series.timeline.map((p) => p.success)),
      stackedBar("failure", COLORS.failure, series.timeline.map((p) => p.failure)),
      stackedBar("timeout", COLORS.timeout, series.timeline.map((p) => p.timeout)),
    ],
  };
  return renderer.render(option, barsTop + PLOT_HEIGHT + MARGIN.bottom);
}

/**
 * Failed and timed-out executions by error category, most frequent on top, each bar split by status in the
 * statuses' colours, its total at its end. Null when there are none.
 */
export function failureCategoriesSvg(renderer: SvgChartRenderer, series: SkillSeries): string | null {
  if (series.failureCategories.length === 0) return null;
  const ordered = [...series.failureCategories].reverse();
  const statuses = (
    [
      ["failure", COLORS.failure, 2],
      ["timeout", COLORS.timeout, 3],
    ] as const
  ).filter(([, , column]) => ordered.some((row) => row[column] > 0));
  const { graphic, plotTop } = legend(statuses.map(([name, color]) => ({ name, color, swatch: "box" as const })));
  const top = plotTop - AXIS_NAME_ROOM + 8;
  // 22 px a category, and room for three at least, so that a single bar does not fill a thin chart.
  const height = 22 * Math.max(3, ordered.length);
  const option: EChartsOption = {
    ...base(),
    graphic,
    grid: { left: 150, right: 48, top, height },
    xAxis: { type: "value", name: "executions", minInterval: 1, nameLocation: "middle", nameGap: 24 },
    yAxis: { type: "category", data: ordered.map(([c]) => c), axisLabel: { width: 136, overflow: "truncate" } },
    series: statuses.map(([name, color, column], i) => ({
      type: "bar" as const,
      name,
      stack: "status",
      silent: true,
      color,
      barMaxWidth: 16,
      // The total at the end of the last layer of the stack.
      label:
        i === statuses.length - 1
          ? { show: true, position: "right" as const, ...TEXT, formatter: (p: { dataIndex: number }) => String(ordered[p.dataIndex][1]) }
          : { show: false },
      data: ordered.map((row) => row[column]),
    })),
  };
  return renderer.render(option, top + height + 40);
}

/**
 * Cost (USD, bars, left axis) and tokens in/out (lines, right axis) per time bucket. Null when the skill has
 * neither in range.
 */
export function costAndTokensSvg(renderer: SvgChartRenderer, series: SkillSeries, axis: TimeAxis): string | null {
  if (!series.hasCost && !series.hasTokens) return null;
  const labels = axis.keys.map((k) => timeBucketLabel(k, axis.granularity));
  const tokenAxis = series.hasCost ? 1 : 0;
  const chartSeries: NonNullable<EChartsOption["series"]> = [];
  const yAxes: NonNullable<EChartsOption["yAxis"]> = [];
  const entries: LegendEntry[] = [];
  if (series.hasCost) {
    entries.push({ name: "cost (USD)", color: COLORS.accent, swatch: "box" });
    yAxes.push({ type: "value", name: "cost (USD)" });
    chartSeries.push({
      type: "bar",
      name: "cost (USD)",
      silent: true,
      large: true,
      largeThreshold: 0,
      color: COLORS.accent,
      data: series.timeline.map((p) => round(p.costUsd, 6)),
    });
  }
  if (series.hasTokens) {
    yAxes.push({ type: "value", name: "tokens", splitLine: { show: !series.hasCost } });
    chartSeries.push(tokenLine("tokens in", COLORS.neutral, tokenAxis, series.timeline.map((p) => p.tokensIn)));
    chartSeries.push(tokenLine("tokens out", COLORS.secondary, tokenAxis, series.timeline.map((p) => p.tokensOut)));
    entries.push({ name: "tokens in", color: COLORS.neutral, swatch: "solid" }, { name: "tokens out", color: COLORS.secondary, swatch: "solid" });
  }
  const { graphic, plotTop } = legend(entries);
  const option: EChartsOption = {
    ...base(),
    graphic,
    grid: { ...MARGIN, top: plotTop, height: PLOT_HEIGHT },
    xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
    yAxis: yAxes,
    series: chartSeries,
  };
  return renderer.render(option, plotTop + PLOT_HEIGHT + MARGIN.bottom);
}

/** A duration for an axis or a label: `850 µs`, `12 ms`, `1.5 s`, `2.3 min`. */
export function formatMillis(ms: number): string {
  if (ms < 1) return `${trim(ms * 1000)} µs`;
  if (ms < 1000) return `${trim(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  return `${trim(ms / 60_000)} min`;
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function base(): EChartsOption {
  return { animation: false, textStyle: TEXT, color: [COLORS.neutral, COLORS.accent, COLORS.secondary] };
}

/**
 * One status layer of the stacked executions bars. `large` makes ECharts draw the whole layer as one SVG path
 * instead of one element per bar: with hundreds of buckets per skill that is most of the page's size.
 */
function stackedBar(name: string, color: string, data: number[]) {
  return {
    type: "bar" as const,
    name,
    stack: "status",
    xAxisIndex: 1,
    yAxisIndex: 1,
    silent: true,
    color,
    data,
    barMaxWidth: 24,
    large: true,
    largeThreshold: 0,
  };
}

function tokenLine(name: string, color: string, yAxisIndex: number, data: number[]) {
  return { type: "line" as const, name, yAxisIndex, silent: true, color, showSymbol: data.length <= 1, data };
}

/**
 * Renders ECharts options to inline SVG, with one ECharts instance per chart height reused for every chart of
 * that height: creating an instance per chart costs about as much as rendering one (measured ~50 vs ~20 ms per
 * chart). Rendering is synchronous and `notMerge` leaves nothing of the previous chart behind. An instance keeps
 * a timer alive, so {@link dispose} must be called when done (the process would not exit otherwise).
 */
export class SvgChartRenderer {
  private readonly instances = new Map<number, Echarts.ECharts>();

  /**
   * The chart as inline SVG, without what only ECharts' client-side runtime or a standalone .svg file would use:
   * the namespace attributes (the HTML parser puts an inline <svg> in the SVG namespace by itself, and the page
   * then contains no URL at all), the hydration metadata (`ecmeta_*`), pointer-events and the hover style sheet
   * with its classes. Path coordinates keep one decimal (a tenth of a pixel). Together this halves the page.
   */
  render(option: EChartsOption, height: number): string {
    let chart = this.instances.get(height);
    if (!chart) {
      chart = loadEcharts().init(null, null, { renderer: "svg", ssr: true, width: CHART_WIDTH, height });
      this.instances.set(height, chart);
    }
    chart.setOption(option, { notMerge: true });
    return chart
      .renderToSVGString({ useViewBox: true })
      .replace(/ xmlns(:xlink)?="[^"]*"/g, "")
      .replace(/ ecmeta_[a-z_]+="[^"]*"/g, "")
      .replace(/ pointer-events="visible"/g, "")
      .replace(/<style ><!\[CDATA\[[\s\S]*?\]\]>\s*<\/style>/g, "")
      .replace(/ class="zr\d+-cls-\d+"/g, "")
      .replace(/ d="([^"]*)"/g, (_m, d: string) => ` d="${d.replace(/(\.\d)\d+/g, "$1")}"`);
  }

  /** Disposes every instance. */
  dispose(): void {
    for (const chart of this.instances.values()) chart.dispose();
    this.instances.clear();
  }
}

let echartsModule: typeof Echarts | undefined;

/**
 * ECharts is loaded on the first chart, not with the package: it takes ~0.45 s and tens of MB, which an
 * application that records metrics but never writes a report should not pay. It is an optional peer
 * dependency (package.json), so an installation may not have it at all: then this throws
 * {@link ConfigurationError.echartsMissing}, naming `npm install echarts`. ReportService calls it before any
 * query, so a report without ECharts fails at once and writes nothing.
 */
export function loadEcharts(): typeof Echarts {
  if (echartsModule === undefined) {
    try {
      echartsModule = require("echarts") as typeof Echarts;
    } catch (error) {
      if (isMissing(error, "echarts")) throw ConfigurationError.echartsMissing(error);
      throw error;
    }
  }
  return echartsModule;
}

/** Whether `error` is Node's "Cannot find module" for `name` itself (not for a file or package it needs). */
function isMissing(error: unknown, name: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === "MODULE_NOT_FOUND" && typeof message === "string" && message.startsWith(`Cannot find module '${name}'`);
}
