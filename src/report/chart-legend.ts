import type { GraphicComponentOption } from "echarts";
import { COLORS } from "./palette";

/**
 * The charts' legends, laid out here rather than by ECharts: its server-side renderer measures text with a
 * table of one font's widths, while the page draws the legend in the reader's font, which is often wider
 * (DejaVu Sans on Linux), so its entries ran into each other ("executions—○—median 19.9 ms—○· p95…"). Here
 * every entry's width is an estimate that errs wide for the common sans-serif fonts, entries are separated by a
 * gap, and an entry that would pass the right edge starts a new line; the chart then places its plot below the
 * legend's lines.
 */

/** One legend entry: the series' name and how its swatch is drawn. */
export interface LegendEntry {
  readonly name: string;
  readonly color: string;
  /** A filled box for bars, or a short line with this dash for lines and marker lines. */
  readonly swatch: "box" | "solid" | "dashed" | "dotted";
}

/** The legend's text size in pixels, as the charts' other text. */
export const LEGEND_FONT_SIZE = 11;
/** Height of one legend line. */
export const LEGEND_LINE_HEIGHT = 18;
const SWATCH_WIDTH = 18;
const SWATCH_TEXT_GAP = 5;
/** Space between one entry's text and the next entry's swatch, on top of the text width's margin. */
const ENTRY_GAP = 16;

/** Characters narrower than a third of an em in the usual sans-serif fonts (DejaVu Sans at most 0.41 em). */
const NARROW = new Set(" !'(),-./:;I[\\]fijlrt|·");
/** Characters about an em wide (DejaVu Sans: m 0.97, W 0.99, @ 1.0, — 1.0). */
const WIDE = new Set("mwMW@%—");
/** Capitals and wide symbols (DejaVu Sans at most 0.86 em: M is in WIDE). */
const BROAD = /[A-Z#&+<=>^~]/;

/**
 * The width of `text` in pixels at `fontSize`, estimated from character classes with widths at or above DejaVu
 * Sans' (the widest of the fonts a sans-serif page gets on Linux, macOS and Windows): never narrower than the
 * drawn text in those fonts, at most about 10% wider. Characters beyond Latin (CJK, emoji) count 1.25 em.
 */
export function estimateTextWidth(text: string, fontSize = LEGEND_FONT_SIZE): number {
  let ems = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0x2e80) ems += 1.25;
    else if (NARROW.has(ch)) ems += 0.45;
    else if (WIDE.has(ch)) ems += 1.05;
    else if (BROAD.test(ch)) ems += 0.88;
    else ems += 0.68;
  }
  return ems * fontSize;
}

/** Where one entry goes: its swatch starts at x, and y is the middle of its line. */
export interface PlacedEntry {
  readonly entry: LegendEntry;
  readonly x: number;
  readonly y: number;
}

/** A legend laid out in lines. */
export interface LegendLayout {
  readonly entries: readonly PlacedEntry[];
  /** Total height of its lines (0 without entries). */
  readonly height: number;
}

/**
 * Lays the entries out left to right from `left`, starting a new line when an entry would pass `right`
 * (an entry wider than the whole width gets a line of its own). `top` is the top of the first line.
 */
export function layoutLegend(entries: readonly LegendEntry[], left: number, right: number, top: number): LegendLayout {
  const placed: PlacedEntry[] = [];
  let x = left;
  let line = 0;
  for (const entry of entries) {
    const width = SWATCH_WIDTH + SWATCH_TEXT_GAP + estimateTextWidth(entry.name);
    if (x > left && x + width > right) {
      line += 1;
      x = left;
    }
    placed.push({ entry, x, y: top + line * LEGEND_LINE_HEIGHT + LEGEND_LINE_HEIGHT / 2 });
    x += width + ENTRY_GAP;
  }
  return { entries: placed, height: entries.length === 0 ? 0 : (line + 1) * LEGEND_LINE_HEIGHT };
}

const DASHES = { solid: undefined, dashed: [5, 3], dotted: [1.5, 2.5] } as const;

/** The legend as ECharts graphic elements (a swatch and a text per entry), drawn into the chart's SVG. */
export function legendGraphics(layout: LegendLayout): GraphicComponentOption[] {
  const elements: GraphicComponentOption[] = [];
  for (const { entry, x, y } of layout.entries) {
    if (entry.swatch === "box") {
      elements.push({ type: "rect", silent: true, shape: { x, y: y - 5, width: SWATCH_WIDTH, height: 10, r: 2 }, style: { fill: entry.color } });
    } else {
      elements.push({
        type: "line",
        silent: true,
        shape: { x1: x, y1: y, x2: x + SWATCH_WIDTH, y2: y },
        style: { stroke: entry.color, lineWidth: 2, lineDash: DASHES[entry.swatch] as number[] | undefined },
      });
    }
    elements.push({
      type: "text",
      silent: true,
      x: x + SWATCH_WIDTH + SWATCH_TEXT_GAP,
      y,
      style: { text: entry.name, fill: COLORS.text, fontSize: LEGEND_FONT_SIZE, fontFamily: "inherit", verticalAlign: "middle" },
    });
  }
  return elements;
}
