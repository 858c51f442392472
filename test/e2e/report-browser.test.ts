/// <reference lib="dom" />
// The callbacks given to $$eval run in the page, so this file needs the DOM types.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { ReportService } from "../../src/report/ReportService";
import { createFixtureDatabase, FIXTURE_NOW } from "../integration/report/fixture-report";
import { chromiumMissing, findChromium } from "../support/find-chromium";

/**
 * An installed Chromium or Chrome (test/support/find-chromium.js: Debian's chromium package first);
 * `npx playwright install` cannot download a browser on these machines.
 */
const FOUND = findChromium();

/** The flags docs/toolchain-notes.md lists for headless Chromium here (the fresh --user-data-dir is the persistent context's). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";

// In CI a missing browser must fail (launch throws, naming the path); only a developer machine may skip, loudly.
const CHROMIUM = FOUND ?? process.env.SKILL_METRICS_CHROMIUM ?? "/usr/bin/chromium";
const describeBrowser = FOUND !== null || inCi ? describe : describe.skip;
if (FOUND === null && !inCi) {
  console.warn(
    `SKIPPED the report's browser test: ${chromiumMissing()}. ` +
      "Install it with: apt-get update && apt-get install -y --no-install-recommends chromium",
  );
}

/** The viewport of the page: a common laptop width, wider than a chart's 720 px of before. */
const VIEWPORT = { width: 1280, height: 900 };

/** A PNG's width and height, from its IHDR chunk (bytes 16–23, big-endian). */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** A box on the page (getBoundingClientRect / getBBox in page pixels). */
interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A chart's legend as drawn: each entry's text, its box, and the fill or stroke of the swatch just left of it. */
interface DrawnLegend {
  kind: string;
  entries: { text: string; box: Box; swatch: string }[];
  /** Every other text of the chart (axis labels and names). */
  others: { text: string; box: Box }[];
  /** Fills of the chart's drawn filled shapes other than the legend's swatches (bars, dots), lower case. */
  fills: string[];
}

/** Whether two boxes share any area (touching edges do not count). */
function overlap(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Cell values of the overview table's column `index`, top to bottom (data-value, as the sort reads them). */
function columnValues(page: Page, index: number): Promise<string[]> {
  return page.$$eval(
    "#overview-table tbody tr",
    (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i as number].dataset.value ?? ""),
    index,
  );
}

describeBrowser("the HTML report in headless Chromium", () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-e2e-"));
    const db = await createFixtureDatabase();
    try {
      await new ReportService(db.dataSource, { clock: () => FIXTURE_NOW, profileOptions: { clock: () => FIXTURE_NOW } }).writeReport(
        join(dir, "report.html"),
      );
    } finally {
      await db.cleanup();
    }
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: VIEWPORT,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(pathToFileURL(join(dir, "report.html")).href, { waitUntil: "load" });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("loads from the file alone: the page is the only request, and no script fails", () => {
    expect(requests).toEqual([pathToFileURL(join(dir, "report.html")).href]);
    expect(pageErrors).toEqual([]);
  });

  it("renders a screenshot of the whole page", async () => {
    const shot = join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    // A page of tables and charts, not a blank one: tens of kilobytes even compressed.
    expect(png.length).toBeGreaterThan(50_000);
    // The whole page at the viewport's width, as tall as the document: nothing overflows sideways.
    const documentHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(pngSize(png)).toEqual({ width: VIEWPORT.width, height: documentHeight });
    // Set SKILL_METRICS_E2E_SCREENSHOT=/path/report.png to keep it for a look.
    const keep = process.env.SKILL_METRICS_E2E_SCREENSHOT;
    if (keep) copyFileSync(shot, keep);
  });

  it("draws every chart: each SVG is laid out and has paths with real geometry", async () => {
    const charts = await page.$$eval("figure.chart svg", (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const drawn = Array.from(svg.querySelectorAll("path")).filter((p) => {
          const d = p.getAttribute("d") ?? "";
          const b = (p as SVGPathElement).getBBox();
          return d.length > 0 && (b.width > 0 || b.height > 0);
        });
        return {
          kind: (svg.parentElement as HTMLElement).dataset.chart,
          width: box.width,
          height: box.height,
          drawn: drawn.length,
        };
      }),
    );
    const sections = await page.$$eval("section.skill", (s) => s.length);
    expect(sections).toBe(10);
    expect(charts.filter((c) => c.kind === "latency")).toHaveLength(sections);
    expect(charts.filter((c) => c.kind === "timeline")).toHaveLength(sections);
    expect(charts.filter((c) => c.kind === "failures").length).toBeGreaterThan(0);
    expect(charts.filter((c) => c.kind === "cost").length).toBeGreaterThan(0);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(100);
      expect(c.drawn).toBeGreaterThan(3);
    }
  });

  it("draws every chart at the full width of the page's content, in its own proportions", async () => {
    const charts = await page.$$eval("figure.chart svg", (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const viewBox = (svg as SVGSVGElement).viewBox.baseVal;
        const body = getComputedStyle(document.body);
        const content = document.body.clientWidth - parseFloat(body.paddingLeft) - parseFloat(body.paddingRight);
        return { width: box.width, height: box.height, content, ratio: viewBox.height / viewBox.width };
      }),
    );
    expect(charts.length).toBeGreaterThan(20);
    for (const c of charts) {
      expect(Math.abs(c.width - c.content)).toBeLessThan(1);
      // The content box of a 1280 px page less its 24 px padding each side (and a scrollbar, if any).
      expect(c.width).toBeGreaterThan(VIEWPORT.width - 48 - 20);
      expect(Math.abs(c.height / c.width - c.ratio)).toBeLessThan(0.01);
    }
  });

  describe("legends", () => {
    let legends: DrawnLegend[];

    beforeAll(async () => {
      legends = await page.$$eval("figure.chart svg", (svgs) =>
        svgs.map((svg) => {
          const boxOf = (e: Element) => {
            const r = e.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
          };
          // Not the shapes of clip paths: they are never painted.
          const shapes = Array.from(svg.querySelectorAll("path, rect"))
            .filter((e) => e.closest("clipPath") === null)
            .map((e) => ({ e, box: boxOf(e) }));
          const swatches = new Set<Element>();
          const entries: { text: string; box: ReturnType<typeof boxOf>; swatch: string }[] = [];
          const others: { text: string; box: ReturnType<typeof boxOf> }[] = [];
          for (const text of Array.from(svg.querySelectorAll("text"))) {
            const box = boxOf(text);
            const middle = (box.top + box.bottom) / 2;
            // A legend entry is a text with a small swatch ending just left of it, on its line.
            const swatch = shapes.find(
              (s) =>
                s.box.right <= box.left + 0.5 &&
                s.box.right >= box.left - 8 &&
                s.box.right - s.box.left <= 20 &&
                s.box.top <= middle + 1 &&
                s.box.bottom >= middle - 1,
            );
            if (swatch === undefined) {
              others.push({ text: text.textContent ?? "", box });
              continue;
            }
            swatches.add(swatch.e);
            const paint = swatch.e.getAttribute("fill");
            entries.push({
              text: text.textContent ?? "",
              box,
              swatch: paint !== null && paint !== "none" ? paint : (swatch.e.getAttribute("stroke") ?? ""),
            });
          }
          const fills = shapes
            .filter((s) => !swatches.has(s.e) && s.box.right - s.box.left > 0 && s.box.bottom - s.box.top > 0)
            .map((s) => (s.e.getAttribute("fill") ?? "none").toLowerCase())
            .filter((fill) => fill !== "none");
          return { kind: (svg.parentElement as HTMLElement).dataset.chart ?? "", entries, others, fills };
        }),
      );
    });

    it("every chart has one: the statuses and the success rate over time, the percentiles with the histogram", () => {
      for (const legend of legends) expect({ kind: legend.kind, entries: legend.entries.length > 0 }).toEqual({ kind: legend.kind, entries: true });
      for (const legend of legends.filter((l) => l.kind === "timeline")) {
        expect(legend.entries.map((e) => e.text)).toEqual(["success", "failure", "timeout", "success rate"]);
      }
      for (const legend of legends.filter((l) => l.kind === "latency")) {
        expect(legend.entries.map((e) => e.text.split(" ")[0])).toEqual(["executions", "median", "p95", "p99"]);
      }
    });

    it("no two legend texts overlap, and none overlaps another text of its chart", () => {
      const collisions: string[] = [];
      for (const { kind, entries, others } of legends) {
        entries.forEach((a, i) => {
          for (const b of entries.slice(i + 1)) if (overlap(a.box, b.box)) collisions.push(`${kind}: "${a.text}" and "${b.text}"`);
          for (const b of others) if (overlap(a.box, b.box)) collisions.push(`${kind}: "${a.text}" and axis text "${b.text}"`);
        });
      }
      expect(collisions).toEqual([]);
    });

    it("each status has one colour in every chart, and every chart fills its shapes only in its legend's colours", () => {
      const colours = new Map<string, Set<string>>();
      for (const { entries } of legends) {
        for (const { text, swatch } of entries) {
          if (["success", "failure", "timeout"].includes(text)) colours.set(text, (colours.get(text) ?? new Set()).add(swatch.toLowerCase()));
        }
      }
      expect([...colours.keys()].sort()).toEqual(["failure", "success", "timeout"]);
      for (const [status, set] of colours) expect({ status, colours: set.size }).toEqual({ status, colours: 1 });
      const statusColour = new Map([...colours].map(([status, set]) => [status, [...set][0]]));
      expect(new Set(statusColour.values()).size).toBe(3);

      // A bar drawn in a colour its chart's legend does not explain would be a status in another colour.
      for (const { kind, entries, fills } of legends) {
        const explained = new Set(entries.map((e) => e.swatch.toLowerCase()));
        expect({ kind, unexplained: [...new Set(fills)].filter((f) => !explained.has(f)) }).toEqual({ kind, unexplained: [] });
      }
      // And the page does draw bars of every status (the fixtures have successes, failures and timeouts).
      const timelineFills = new Set(legends.filter((l) => l.kind === "timeline").flatMap((l) => l.fills));
      for (const [status, colour] of statusColour) expect({ status, drawn: timelineFills.has(colour) }).toEqual({ status, drawn: true });
    });
  });

  it("sorts the overview table when a header is clicked, toggling the direction", async () => {
    const header = (label: string) => page.locator("#overview-table th button", { hasText: new RegExp(`^${label}$`) });
    const skillsBefore = await columnValues(page, 0);
    expect(skillsBefore).toEqual([...skillsBefore].sort());

    await header("Executions").click();
    const ascending = (await columnValues(page, 1)).map(Number);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(await page.locator("#overview-table th", { hasText: "Executions" }).getAttribute("aria-sort")).toBe("ascending");
    // Rows move whole: each skill keeps its own count.
    const pairs = async () => {
      const skills = await columnValues(page, 0);
      const counts = await columnValues(page, 1);
      return new Map(skills.map((s, i) => [s, counts[i]]));
    };
    const before = await pairs();

    await header("Executions").click();
    const descending = (await columnValues(page, 1)).map(Number);
    expect(descending).toEqual([...ascending].sort((a, b) => b - a));
    expect(await page.locator("#overview-table th", { hasText: "Executions" }).getAttribute("aria-sort")).toBe("descending");
    expect(await pairs()).toEqual(before);

    // p95 in milliseconds sorts numerically (2.9 ms < 488 ms < 25.5 s), not by its text.
    await header("p95").click();
    const p95 = (await columnValues(page, 4)).map(Number);
    expect(p95).toEqual([...p95].sort((a, b) => a - b));

    // Skills without a trend ("—") sort last in both directions.
    await header("Faster").click();
    const faster = await columnValues(page, 8);
    const known = faster.filter((v) => v !== "");
    expect(known.length).toBeGreaterThan(0);
    expect(faster.slice(0, known.length)).toEqual(known);

    await header("Skill").click();
    expect(await columnValues(page, 0)).toEqual(skillsBefore);
  });
});
