/// <reference lib="dom" />
// The callbacks given to $$eval run in the page, so this file needs the DOM types.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { ReportService } from "../../src/report/ReportService";
import { createFixtureDatabase, FIXTURE_NOW } from "../integration/report/fixture-report";

/** Debian's chromium package; `npx playwright install` cannot download a browser on these machines. */
const CHROMIUM = "/usr/bin/chromium";

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
const describeBrowser = existsSync(CHROMIUM) || inCi ? describe : describe.skip;
if (!existsSync(CHROMIUM) && !inCi) {
  console.warn(
    `SKIPPED the report's browser test: ${CHROMIUM} is missing. ` +
      "Install it with: apt-get update && apt-get install -y --no-install-recommends chromium",
  );
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
      viewport: { width: 1280, height: 900 },
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
