import * as dejaVuSans from "../../../fixtures/text-widths/dejavu-sans.json";
import { estimateTextWidth, LEGEND_LINE_HEIGHT, type LegendEntry, layoutLegend } from "../../../src/report/chart-legend";

/** DejaVu Sans widths in em as Chromium draws them (fixtures/text-widths/measure-text-widths.js). */
const MEASURED = dejaVuSans.widths as Record<string, number>;

const entry = (name: string): LegendEntry => ({ name, color: "#000000", swatch: "box" });

describe("estimateTextWidth", () => {
  it("is never narrower than DejaVu Sans draws a character or a legend's text, and a legend's text at most 1.3 times", () => {
    const tooNarrow: string[] = [];
    const tooWide: string[] = [];
    for (const [text, em] of Object.entries(MEASURED)) {
      const estimate = estimateTextWidth(text, 100) / 100;
      if (estimate < em) tooNarrow.push(`${JSON.stringify(text)}: ${estimate} < ${em}`);
      // Single characters may be much wider in the estimate (J is narrow in DejaVu Sans, not in Arial).
      if ([...text].length > 1 && estimate > 1.3 * em) tooWide.push(`${JSON.stringify(text)}: ${estimate} > 1.3 × ${em}`);
    }
    expect(tooNarrow).toEqual([]);
    expect(tooWide).toEqual([]);
  });

  it("counts characters beyond Latin (CJK, emoji) as 1.25 em, by code point", () => {
    expect(estimateTextWidth("写作", 10)).toBe(25);
    expect(estimateTextWidth("🚀", 10)).toBe(12.5);
  });
});

describe("layoutLegend", () => {
  const width = (name: string) => 18 + 5 + estimateTextWidth(name);

  it("puts entries on one line left to right, each after the previous one's text", () => {
    const layout = layoutLegend([entry("success"), entry("failure"), entry("timeout")], 64, 1208, 4);
    expect(layout.height).toBe(LEGEND_LINE_HEIGHT);
    const xs = layout.entries.map((e) => e.x);
    expect(xs[0]).toBe(64);
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1] + width(layout.entries[i - 1].entry.name));
    expect(new Set(layout.entries.map((e) => e.y))).toEqual(new Set([4 + LEGEND_LINE_HEIGHT / 2]));
  });

  it("starts a new line when an entry would pass the right edge, and never lets one pass it unless alone", () => {
    const names = Array.from({ length: 12 }, (_, i) => `p${i} ${"9".repeat(i)} ms`);
    const right = 300;
    const layout = layoutLegend(names.map(entry), 10, right, 0);
    const lines = new Map<number, number[]>();
    for (const placed of layout.entries) {
      expect(placed.x + width(placed.entry.name)).toBeLessThanOrEqual(right);
      lines.set(placed.y, [...(lines.get(placed.y) ?? []), placed.x]);
    }
    expect(lines.size).toBeGreaterThan(2);
    expect(layout.height).toBe(lines.size * LEGEND_LINE_HEIGHT);
    for (const xs of lines.values()) expect(xs[0]).toBe(10);
    // Entries keep their order: line by line, left to right.
    expect(layout.entries.map((e) => e.entry.name)).toEqual(names);
  });

  it("gives an entry wider than the whole width a line of its own, and no entries no height", () => {
    const layout = layoutLegend([entry("a"), entry("x".repeat(80)), entry("b")], 0, 200, 0);
    expect(layout.entries.map((e) => [e.x, e.y])).toEqual([
      [0, LEGEND_LINE_HEIGHT / 2],
      [0, 1.5 * LEGEND_LINE_HEIGHT],
      [0, 2.5 * LEGEND_LINE_HEIGHT],
    ]);
    expect(layoutLegend([], 0, 200, 0).height).toBe(0);
  });
});
