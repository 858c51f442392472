import type * as Echarts from "echarts";
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, EChartsOption } from "echarts";
import { ConfigurationError } from "../errors";
import { type LogBucket, ZERO_BUCKET } from "./log-buckets";
import type { SkillSeries, TimeAxis } from "./report-data";
import { timeBucketLabel } from "./time-buckets";

/**
 * The report's charts, rendered to SVG text at export time by Apache ECharts' server-side renderer (no browser,
 * no DOM): it computes the axes (log scale, readable ticks, label thinning), the stacking, the dual axes and the
 * legends, which is most of what makes a chart readable and what the report should not hand-write.
 */

/** Width and height of every chart, in CSS pixels. */
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 260;

/** The report's palette: success, failure, timeout, and the neutral and accent series colours. */
export const COLORS = {
  success: "#3a8f5c",
  failure: "#c8463d",
  timeout: "#d99a2b",
  neutral: "#4a6fa5",
  accent: "#7b4fa3",
  percentile: "#222222",
} as const;

// "inherit": the charts' text takes the page's font, and each label's style attribute stays short.
const TEXT = { fontFamily: "inherit", fontSize: 11, color: "#333333" };
const GRID = { left: 64, right: 64, top: 40, bottom: 48 };

/**
 * The latency histogram of one skill on a logarithmic millisecond axis, each bucket drawn from its lower to its
 * upper bound, with vertical lines at the median, p95 and p99. Null when no duration is above 0 ms.
 */
export function latencyHistogramSvg(renderer: SvgChartRenderer, series: SkillSeries): string | null {
  const buckets = series.histogram.filter((b) => b.index !== ZERO_BUCKET);
  if (buckets.length === 0) return null;
  const marks: [string, number | null, string][] = [
    ["median", series.median, "solid"],
    ["p95", series.p95, "dashed"],
    ["p99", series.p99, "dotted"],
  ];
  const low = buckets[0].lowerMs;
  const high = buckets[buckets.length - 1].upperMs;
  const option: EChartsOption = {
    ...base(),
    legend: { top: 4, textStyle: TEXT },
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
      // One empty series per percentile, so that each marker line gets a legend entry with its value instead of
      // labels that collide when p95 and p99 are close.
      ...marks
        .filter((m): m is [string, number, string] => m[1] !== null && m[1] > 0)
        .map(([name, value, dash]) => ({
          type: "line" as const,
          name: `${name} ${formatMillis(value)}`,
          color: COLORS.percentile,
          lineStyle: { type: dash as "solid" | "dashed" | "dotted" },
          data: [],
          markLine: {
            silent: true,
            symbol: "none",
            label: { show: false },
            lineStyle: { color: COLORS.percentile, type: dash as "solid" | "dashed" | "dotted", width: 1.5 },
            data: [{ xAxis: value }],
          },
        })),
    ],
  };
  return renderer.render(option);
}

/**
 * Finished executions per time bucket, stacked by status, with the success rate (percent, right axis) as a
 * line; buckets without executions have no rate (a gap, not 0%).
 */
export function executionsOverTimeSvg(renderer: SvgChartRenderer, series: SkillSeries, axis: TimeAxis): string {
  const labels = axis.keys.map((k) => timeBucketLabel(k, axis.granularity));
  const option: EChartsOption = {
    ...base(),
    legend: { top: 4, textStyle: TEXT },
    xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: "value", name: "executions", minInterval: 1 },
      { type: "value", name: "success %", min: 0, max: 100, splitLine: { show: false } },
    ],
    series: [
      stackedBar("success", COLORS.success, series.timeline.map((p) => p.success)),
      stackedBar("failure", COLORS.failure, series.timeline.map((p) => p.failure)),
      stackedBar("timeout", COLORS.timeout, series.timeline.map((p) => p.timeout)),
      {
        type: "line",
        name: "success rate",
        yAxisIndex: 1,
        silent: true,
        showSymbol: axis.keys.length <= 1,
        connectNulls: false,
        color: COLORS.percentile,
        lineStyle: { width: 1.5 },
        data: series.timeline.map((p) => {
          const n = p.success + p.failure + p.timeout;
          return n === 0 ? null : round((100 * p.success) / n, 2);
        }),
      },
    ],
  };
  return renderer.render(option);
}

/** Failed and timed-out executions by error category, most frequent on top. Null when there are none. */
export function failureCategoriesSvg(renderer: SvgChartRenderer, series: SkillSeries): string | null {
  if (series.failureCategories.length === 0) return null;
  const ordered = [...series.failureCategories].reverse();
  const option: EChartsOption = {
    ...base(),
    grid: { left: 150, right: 48, top: 16, bottom: 36 },
    height: undefined,
    xAxis: { type: "value", name: "executions", minInterval: 1, nameLocation: "middle", nameGap: 24 },
    yAxis: { type: "category", data: ordered.map(([c]) => c), axisLabel: { width: 136, overflow: "truncate" } },
    series: [
      {
        type: "bar",
        name: "failures",
        silent: true,
        color: COLORS.failure,
        label: { show: true, position: "right", ...TEXT },
        data: ordered.map(([, n]) => n),
      },
    ],
  };
  return renderer.render(option, Math.max(120, 56 + 22 * ordered.length));
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
  if (series.hasCost) {
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
    chartSeries.push(tokenLine("tokens out", COLORS.timeout, tokenAxis, series.timeline.map((p) => p.tokensOut)));
  }
  const option: EChartsOption = {
    ...base(),
    legend: { top: 4, textStyle: TEXT },
    xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
    yAxis: yAxes,
    series: chartSeries,
  };
  return renderer.render(option);
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
  return { animation: false, textStyle: TEXT, grid: GRID, color: [COLORS.neutral, COLORS.accent, COLORS.timeout] };
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
  render(option: EChartsOption, height = CHART_HEIGHT): string {
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
