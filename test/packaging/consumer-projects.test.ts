/**
 * The support matrix, proved on the package as users get it (`npm pack`, installed into fresh projects):
 *
 * - TypeORM 1.x (from the npm registry) with the application's own better-sqlite3 DataSource, with its own
 *   PostgreSQL DataSource (the CI server of scripts/with-postgres.sh), and in a NestJS 12 application through
 *   skill-metrics/nestjs — one project for all three, installed once;
 * - TypeORM 0.3.31 with sqlite3: the repository's own dependencies linked, as in packaging.test.ts.
 *
 * Each app (test/consumers/) records tracked calls, reads them back, exports, and the rows are checked with the
 * sqlite3 shell or psql. Native addons are never built here: the repository's built better-sqlite3 and sqlite3
 * are linked in. Needs `npm run build` first (npm test does it); SKILL_METRICS_DIST packs a private build.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createPgDatabase, describePg } from "../postgres/pg-database";

const REPO = resolve(__dirname, "../..");
const DIST = process.env.SKILL_METRICS_DIST ?? join(REPO, "dist/src");
const CONSUMERS = join(REPO, "test/consumers");
const SQLITE_CLI = "/usr/bin/sqlite3";

/** The newest TypeORM 1.x and NestJS 12 at the time of writing; a user's `npm i typeorm` installs 1.x today. */
const TYPEORM_1 = "1.1.1";
const TYPEORM1_PROJECT_DEPENDENCIES = {
  typeorm: TYPEORM_1,
  "reflect-metadata": "^0.2.2",
  pg: "^8.16.0",
  "@nestjs/common": "^12.5.1",
  "@nestjs/core": "^12.5.1",
  "@nestjs/typeorm": "^12.0.2",
  rxjs: "^7.8.2",
};

/** Generous: `npm test` runs every suite at once on a small machine, and these spawn tsc and Node apps. */
const APP_TIMEOUT_MILLIS = 180_000;

function run(command: string, args: string[], cwd: string, timeout = APP_TIMEOUT_MILLIS): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] });
}

function sqlite(database: string, sql: string): string[] {
  return run(SQLITE_CLI, [database, sql], dirname(database)).trim().split("\n");
}

/** What test/consumers/typeorm-app.js prints. */
interface AppReport {
  typeorm: string;
  sdkTypeorm: string;
  oneTypeorm: boolean;
  page: string[];
  profileTotal: number;
  exported: number;
  reimported: { imported: number; skipped: number };
  stillOpen: boolean;
  spill: boolean;
}

function runTypeormApp(project: string, type: string, where: string): AppReport {
  const output = run(process.execPath, [join(CONSUMERS, "typeorm-app.js"), type, where, join(project, `${type}.csv`)], project);
  return JSON.parse(output.trim().split("\n").pop()!) as AppReport;
}

/** The report of every app: 11 executions (10 successes, 1 failure), 5 of odd_skill, exported and re-imported. */
function expectRecordedAndReadBack(report: AppReport): void {
  expect(report.page).toEqual(Array(5).fill("odd_skill"));
  expect(report.profileTotal).toBe(5);
  expect(report.exported).toBe(11);
  expect(report.reimported).toEqual({ imported: 0, skipped: 11 });
  expect(report.stillOpen).toBe(true); // the application's DataSource is the application's to close
  expect(report.spill).toBe(false);
}

const EXPECTED_ROWS = ["even_skill|success|5", "failing_skill|failure|1", "odd_skill|success|5"];
const ROWS_SQL = "SELECT skill_id, status, count(*) FROM execution_metrics GROUP BY skill_id, status ORDER BY skill_id";

describe("consumer projects: the packed SDK on the application's TypeORM", () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    if (!existsSync(join(DIST, "index.js"))) throw new Error(`${DIST} has no build: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-consumers-"));
    let root = REPO;
    if (process.env.SKILL_METRICS_DIST !== undefined) {
      root = join(dir, "staging");
      mkdirSync(root);
      for (const file of ["package.json", "README.md"]) copyFileSync(join(REPO, file), join(root, file));
      cpSync(dirname(DIST), join(root, "dist"), { recursive: true });
    }
    tarball = join(dir, run("npm", ["pack", "--silent", "--pack-destination", dir], root).trim().split("\n").pop()!);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`TypeORM ${TYPEORM_1} (installed from the registry)`, () => {
    let project: string;

    beforeAll(() => {
      project = join(dir, "typeorm1");
      mkdirSync(project);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "typeorm1-app", private: true, dependencies: { "skill-metrics": `file:${tarball}`, ...TYPEORM1_PROJECT_DEPENDENCIES } }),
      );
      // No install scripts: the only native addon used, better-sqlite3, is the repository's, already built.
      run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], project, 300_000);
      symlinkSync(join(REPO, "node_modules/better-sqlite3"), join(project, "node_modules/better-sqlite3"));
    }, 330_000);

    it("(a) better-sqlite3: records on the app's own DataSource, reads back, profiles, exports; rows in the file", () => {
      const database = join(project, "app.db");
      const report = runTypeormApp(project, "better-sqlite3", database);
      expect(report.typeorm).toBe(TYPEORM_1);
      // typeorm is a dependency of skill-metrics (^0.3.31, for the embedded SQLite default and the CLI): beside an
      // application's 1.x npm nests a 0.3 copy, and the application's DataSource is used through its own TypeORM.
      expect(report.sdkTypeorm).toMatch(/^0\.3\./);
      expect(report.oneTypeorm).toBe(false);
      expectRecordedAndReadBack(report);
      expect(sqlite(database, ROWS_SQL)).toEqual(EXPECTED_ROWS);
      expect(sqlite(database, "SELECT DISTINCT environment FROM execution_metrics")).toEqual(["consumer-better-sqlite3"]);
    }, APP_TIMEOUT_MILLIS);

    describePg("(b) PostgreSQL", () => {
      it("records on the app's own TypeORM 1.x PostgreSQL DataSource; rows read back with psql", async () => {
        const database = await createPgDatabase("consumer_typeorm1");
        try {
          const report = runTypeormApp(project, "postgres", database.url);
          expect(report.typeorm).toBe(TYPEORM_1);
          expectRecordedAndReadBack(report);
          expect(run("psql", [database.url, "-Atc", ROWS_SQL], project).trim().split("\n")).toEqual(EXPECTED_ROWS);
        } finally {
          await database.drop();
        }
      }, APP_TIMEOUT_MILLIS);
    });

    it("(d) NestJS: SkillMetricsModule, @SetMetadata below and above the tracker, app.close() leaves no row unwritten and no spill file", () => {
      const app = join(project, "nest");
      mkdirSync(app);
      copyFileSync(join(CONSUMERS, "nest-app.ts"), join(app, "nest-app.ts"));
      writeFileSync(
        join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "commonjs",
            moduleResolution: "node",
            strict: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            esModuleInterop: true,
            skipLibCheck: true,
            types: ["node"],
            typeRoots: [join(REPO, "node_modules/@types")],
            outDir: "out",
          },
          files: ["nest-app.ts"],
        }),
      );
      run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app);
      const database = join(app, "nest.db");
      const output = run(process.execPath, [join(app, "out/nest-app.js"), database, join(app, "export.json")], app);
      const report = JSON.parse(output.trim().split("\n").pop()!);
      expect(report).toEqual({ metadata: ["admin", "reader", "on"], page: 2, profile: 1, exported: 2, spill: false });
      expect(sqlite(database, ROWS_SQL)).toEqual(["ReportService.lookup|success|1", "report_summarize|success|301"]);
      expect(readdirSync(app).filter((file) => file.includes("spill"))).toEqual([]);
    }, 2 * APP_TIMEOUT_MILLIS);
  });

  it("(c) TypeORM 0.3.31 + sqlite3: the app's own DataSource and the SDK share one TypeORM", () => {
    const project = join(dir, "typeorm03");
    const modules = join(project, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(REPO, "node_modules"))) {
      if (entry === "skill-metrics" || entry.startsWith(".")) continue;
      symlinkSync(join(REPO, "node_modules", entry), join(modules, entry));
    }
    run("tar", ["-xzf", tarball, "-C", project], project);
    renameSync(join(project, "package"), join(modules, "skill-metrics"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "typeorm03-app", private: true }));

    const database = join(project, "app.db");
    const report = runTypeormApp(project, "sqlite", database);
    expect(report.typeorm).toBe("0.3.31");
    expect(report.oneTypeorm).toBe(true);
    expectRecordedAndReadBack(report);
    expect(sqlite(database, ROWS_SQL)).toEqual(EXPECTED_ROWS);
  }, APP_TIMEOUT_MILLIS);
});
