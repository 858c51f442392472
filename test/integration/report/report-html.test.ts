import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigurationError } from "../../../src/errors";
import { ProfileService } from "../../../src/services/ProfileService";
import { escapeHtml } from "../../../src/report/report-html";
import { ReportService } from "../../../src/report/ReportService";
import { FAILING_SUCCESS_RATE, highlightSkills, medianOf, SLOW_P95_FACTOR } from "../../../src/report/highlight-rules";
import { fixtureRows } from "../services/seed";
import { createFixtureDatabase, type FixtureDatabase, FIXTURE_NOW } from "./fixture-report";

/** The <section class="skill"> blocks of a page, with their data-skill-id (unescaped). */
function skillSections(html: string): { skillId: string; body: string }[] {
  return [...html.matchAll(/<section class="skill" id="skill-\d+" data-skill-id="([^"]*)">([\s\S]*?)<\/section>/g)].map(
    (m) => ({ skillId: unescapeHtml(m[1]), body: m[2] }),
  );
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

/** The `d` attributes of the <path> elements of an SVG fragment. */
function pathData(svg: string): string[] {
  return [...svg.matchAll(/<path\b[^>]*\sd="([^"]*)"/g)].map((m) => m[1]);
}

function figures(body: string): Map<string, string> {
  return new Map([...body.matchAll(/<figure class="chart" data-chart="(\w+)">([\s\S]*?)<\/figure>/g)].map((m) => [m[1], m[2]]));
}

describe("ReportService on the fixtures", () => {
  let db: FixtureDatabase;
  let html: string;
  const finishedRows = [...fixtureRows("success_cases"), ...fixtureRows("failure_cases"), ...fixtureRows("edge_cases")].filter(
    (r) => r.status !== "running",
  );
  const skills = [...new Set(finishedRows.map((r) => r.skill_id))].sort();

  beforeAll(async () => {
    db = await createFixtureDatabase();
    html = await new ReportService(db.dataSource, { clock: () => FIXTURE_NOW, profileOptions: { clock: () => FIXTURE_NOW } }).render();
  });

  afterAll(async () => {
    await db.cleanup();
  });

  it("is one HTML document that fetches nothing: no URL, no external script, stylesheet or font", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.match(/<html\b/g)).toHaveLength(1);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed|image|use)\b[^>]*\b(src|href)=/i);
    expect(html).not.toMatch(/@import|@font-face/i);
    // url(…) only for references inside the page (SVG clip paths).
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it("has one overview row and one section per skill with finished executions, names escaped", () => {
    const table = html.match(/<table id="overview-table" class="sortable">([\s\S]*?)<\/table>/)?.[1] ?? "";
    const headers = [...table.matchAll(/<th data-type="(\w+)"[^>]*><button type="button">([^<]*)<\/button><\/th>/g)];
    expect(headers.map((h) => h[2])).toEqual([
      "Skill",
      "Executions",
      "Success rate",
      "Median",
      "p95",
      "p99",
      "Mean cost (USD)",
      "Total cost (USD)",
      "Faster",
      "Cheaper",
      "Success trend",
    ]);
    const rows = [...table.matchAll(/<tr(?: class="[^"]*")?><td data-value="([^"]*)">/g)].map((m) => unescapeHtml(m[1]));
    expect(rows).toEqual(skills);
    expect(skillSections(html).map((s) => s.skillId)).toEqual(skills);
    // The hostile fixture names arrive escaped, never as markup.
    expect(html).toContain(escapeHtml(`it's a "quoted" skill`));
    expect(html).not.toContain(`it's a "quoted" skill`);
    expect(html).toContain("résumé_写作_🚀 Σ");
  });

  it("draws at most maxSkillSections skills, highlighted ones first, and a note with the command for each other", async () => {
    const profiles = await new ProfileService(db.dataSource, { clock: () => FIXTURE_NOW }).getSkillProfiles();
    const highlighted = [...highlightSkills(profiles)].filter(([, h]) => h.failing || h.slow).map(([id]) => id);
    expect(highlighted.length).toBeGreaterThan(0);
    const page = await new ReportService(db.dataSource, {
      clock: () => FIXTURE_NOW,
      profileOptions: { clock: () => FIXTURE_NOW },
      maxSkillSections: 1,
    }).render();
    const drawn = skillSections(page).map((s) => s.skillId);
    expect(drawn).toHaveLength(1);
    expect(highlighted).toContain(drawn[0]);
    const notes = [...page.matchAll(/<p class="skill-omitted" id="skill-\d+" data-skill-id="([^"]*)">/g)].map((m) => unescapeHtml(m[1]));
    expect([...drawn, ...notes].sort()).toEqual([...skills].sort());
    expect(page).toContain(`<code>skill-metrics report --skill "${escapeHtml(notes[0])}"</code>`);
  });

  it("draws, per skill, a histogram and a timeline with non-empty SVG paths; failures and cost only where present", () => {
    for (const { skillId, body } of skillSections(html)) {
      const rows = finishedRows.filter((r) => r.skill_id === skillId);
      const charts = figures(body);
      for (const kind of ["latency", "timeline"]) {
        const svg = charts.get(kind);
        expect({ skillId, kind, svg: typeof svg }).toEqual({ skillId, kind, svg: "string" });
        // The page's widest content box (page-assets.ts), drawn at 100% of the content width.
        expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 1272 \d+"/);
        const filled = pathData(svg as string).filter((d) => /^M[\d.-]+ [\d.-]+/.test(d));
        expect(filled.length).toBeGreaterThan(3);
      }
      const failed = rows.filter((r) => r.status === "failure" || r.status === "timeout");
      expect(charts.has("failures")).toBe(failed.length > 0);
      if (failed.length === 0) expect(body).toContain("No failures in this range.");
      const costly = rows.some((r) => r.api_calls_cost_usd > 0) || rows.some((r) => r.tokens_in !== null || r.tokens_out !== null);
      expect(charts.has("cost")).toBe(costly);
      // Every failure category appears as a bar label.
      for (const category of new Set(failed.map((r) => r.error_category ?? "unknown"))) {
        expect(charts.get("failures")).toContain(`>${escapeHtml(category)}</text>`);
      }
    }
  });

  it("marks median, p95 and p99 in each histogram's legend with the profile's values", async () => {
    const profiles = await new ProfileService(db.dataSource, { clock: () => FIXTURE_NOW }).getSkillProfiles();
    for (const { skillId, body } of skillSections(html)) {
      const profile = profiles.find((p) => p.skillId === skillId)!;
      const latency = figures(body).get("latency") as string;
      for (const [name, value] of [
        ["median", profile.medianDurationMs],
        ["p95", profile.p95DurationMs],
        ["p99", profile.p99DurationMs],
      ] as const) {
        if (value !== null && value > 0) expect(latency).toMatch(new RegExp(`>${name} [\\d.]+ (µs|ms|s|min)</text>`));
      }
    }
  });

  it("highlights exactly the skills the documented rule selects", async () => {
    const profiles = await new ProfileService(db.dataSource, { clock: () => FIXTURE_NOW }).getSkillProfiles();
    const reference = medianOf(profiles.map((p) => p.p95DurationMs!).filter((v) => v !== null))!;
    const rowClasses = new Map(
      [...html.matchAll(/<tr(?: class="([^"]*)")?><td data-value="([^"]*)">/g)].map((m) => [unescapeHtml(m[2]), m[1] ?? ""]),
    );
    let failing = 0;
    let slow = 0;
    for (const p of profiles) {
      const isFailing = p.successRate !== null && p.successRate < FAILING_SUCCESS_RATE;
      const isSlow = p.p95DurationMs !== null && p.p95DurationMs > SLOW_P95_FACTOR * reference;
      failing += Number(isFailing);
      slow += Number(isSlow);
      expect({ skill: p.skillId, failing: rowClasses.get(p.skillId)!.includes("failing") }).toEqual({ skill: p.skillId, failing: isFailing });
      expect({ skill: p.skillId, slow: rowClasses.get(p.skillId)!.includes("slow") }).toEqual({ skill: p.skillId, slow: isSlow });
    }
    // The fixtures exercise both highlights and plain rows.
    expect(failing).toBeGreaterThan(0);
    expect(slow).toBeGreaterThan(0);
    expect(failing + slow).toBeLessThan(profiles.length * 2);
  });

  it("states the definitions in the words of ProfileService's and statistics.ts's TSDoc", () => {
    const source = ["src/services/statistics.ts", "src/services/ProfileService.ts"]
      .map((f) => readFileSync(join(__dirname, "../../..", f), "utf8"))
      .join("\n")
      .replace(/\s*\n\s*\*\s*/g, " ");
    const definitions = unescapeHtml(html.match(/<section id="definitions">([\s\S]*?)<\/section>/)?.[1] ?? "").replace(
      /<[^>]+>/g,
      "",
    );
    for (const phrase of [
      "linear interpolation between the closest ranks",
      "h = (n − 1)·p, lo = ⌊h⌋, hi = min(lo + 1, n − 1)",
      "status success, failure or timeout); running rows are ignored",
      "[now − W, now) with the previous one [now − 2W, now − W), by started_at",
      "W = trendWindowMillis (default 7 days)",
      "trendMinSample finished executions (default 20)",
      "× (1 − trendThreshold) (default 10%)",
      "pooled two-proportion z-test of the windows' success rates is significant at 0.05 (two-sided), else",
      "a missing category counts as",
    ]) {
      expect({ phrase, inReport: definitions.includes(phrase) }).toEqual({ phrase, inReport: true });
    }
    for (const phrase of [
      "linear interpolation between the closest ranks",
      "h = (n − 1)·p, lo = ⌊h⌋, hi = min(lo + 1, n − 1)",
      "[now − W, now) with the previous one [now − 2W, now − W), by started_at",
      "W = trendWindowMillis (default 7 days)",
      "trendMinSample finished executions (default 20)",
      "pooled two-proportion z-test of the windows' success rates is significant at 0.05 (two-sided)",
    ]) {
      expect({ phrase, inTsdoc: source.includes(phrase) }).toEqual({ phrase, inTsdoc: true });
    }
  });

  it("limits sections to one skill and its charts to [from, to)", async () => {
    const service = new ReportService(db.dataSource, { clock: () => FIXTURE_NOW, profileOptions: { clock: () => FIXTURE_NOW } });
    const from = "2026-11-01T00:00:00.000Z";
    const to = "2026-11-10T00:00:00.000Z";
    const page = await service.render({ skillId: "csv_reader", from, to });
    const sections = skillSections(page);
    expect(sections.map((s) => s.skillId)).toEqual(["csv_reader"]);
    const inRange = finishedRows.filter((r) => r.skill_id === "csv_reader" && r.started_at >= from && r.started_at < to);
    expect(inRange.length).toBeGreaterThan(0);
    expect(sections[0].body).toContain(`<dt>In range: executions</dt><dd>${inRange.length}</dd>`);
    // 9 days: daily buckets, the first labelled with from's date, the last with the day before `to`.
    const timeline = figures(sections[0].body).get("timeline") as string;
    expect(timeline).toContain(">2026-11-01</text>");
    expect(timeline).not.toContain(">2026-11-10</text>");
    expect(page).toContain("daily buckets");
    // A range with nothing in it still lists the skill, and says so.
    const empty = skillSections(await service.render({ skillId: "csv_reader", from: "2030-01-01T00:00:00Z" }));
    expect(empty).toHaveLength(1);
    expect(empty[0].body).toContain("No finished executions in this range.");
  });

  it("rejects an invalid filter with a ConfigurationError naming the field, before writing anything", async () => {
    const service = new ReportService(db.dataSource);
    const target = join(db.dir, "bad.html");
    await expect(service.writeReport(target, { from: "yesterday" })).rejects.toThrow(ConfigurationError);
    await expect(service.writeReport(target, { from: "yesterday" })).rejects.toThrow(/filter\.from/);
    await expect(service.writeReport(target, { skillId: "" })).rejects.toThrow(/filter\.skillId/);
    expect(existsSync(target)).toBe(false);
  });

  it("writeReport writes the file atomically and reports its size", async () => {
    const service = new ReportService(db.dataSource, { clock: () => FIXTURE_NOW, profileOptions: { clock: () => FIXTURE_NOW } });
    const target = join(db.dir, "report.html");
    const result = await service.writeReport(target);
    expect(result).toEqual({ bytes: statSync(target).size, skills: skills.length, executions: finishedRows.length, generatedAt: FIXTURE_NOW });
    expect(readFileSync(target, "utf8")).toBe(html);
    expect(readdirSync(db.dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    await expect(service.writeReport(join(db.dir, "missing-dir", "r.html"))).rejects.toThrow(/ENOENT/);
  });
});
