import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataSource } from "typeorm";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError, SkillMetricsError } from "../../../src/errors";
import { SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS } from "../../../src/storage/data-source";
import { isDataSourceLike } from "../../../src/storage/data-source-like";
import { getDefaultSink, setDefaultSink } from "../../../src/tracking/default-sink";
import { track } from "../../../src/tracking/track";

const SQLITE_CLI = "/usr/bin/sqlite3";

/**
 * An application's own DataSource handed to create(): recognised by its shape whatever copy of TypeORM built it,
 * and checked at once — each misconfiguration is a ConfigurationError naming the fix, raised by create() before
 * any row could be lost, and nothing the check opened stays open.
 */
describe("create({ dataSource }) with the application's own DataSource", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-app-ds-"));
  });

  afterEach(() => {
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  function sqlite(database: string, sql: string): string {
    return execFileSync(SQLITE_CLI, [database, sql], { encoding: "utf8" }).trim();
  }

  async function refusal(promise: Promise<unknown>): Promise<SkillMetricsError> {
    const error = await promise.then(
      () => new Error("expected create() to fail"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SkillMetricsError);
    return error as SkillMetricsError;
  }

  /**
   * A second copy of TypeORM, as an application with its own `typeorm` next to this package's has: the module
   * evaluated again, so its DataSource class is not the one src/ imports and `instanceof` between them is false.
   */
  function secondTypeormCopy(): typeof import("typeorm") {
    let copy: typeof import("typeorm") | undefined;
    jest.isolateModules(() => {
      copy = require("typeorm");
    });
    expect(copy!.DataSource).not.toBe(DataSource);
    return copy!;
  }

  it("uses a DataSource of another TypeORM copy as it is: records, reads, profiles, exports, and leaves it open", async () => {
    const typeorm = secondTypeormCopy();
    const path = join(dir, "app.db");
    const appDataSource = new typeorm.DataSource({
      type: "better-sqlite3",
      database: path,
      entities: SKILL_METRICS_ENTITIES,
      migrations: SKILL_METRICS_MIGRATIONS,
    });
    expect(appDataSource instanceof DataSource).toBe(false);
    expect(isDataSourceLike(appDataSource)).toBe(true);
    await appDataSource.initialize();
    try {
      const metrics = await ExecutionMetricsCollector.create({ dataSource: appDataSource as unknown as DataSource, spillPath: join(dir, "spill.ndjson") });
      expect(metrics.dataSource).toBe(appDataSource);
      for (let i = 0; i < 12; i++) track(i % 4 === 0 ? "b_skill" : "a_skill", (ctx) => ctx.recordOutputSize(i));
      const page = await metrics.getMetrics({ skillId: "a_skill", limit: 50 });
      expect(page.items).toHaveLength(9);
      const profile = await metrics.getSkillProfile("a_skill");
      expect(profile?.totalExecutions).toBe(9);
      const csv = join(dir, "out.csv");
      expect((await metrics.exportCsv(csv)).rows).toBe(12);
      expect(readFileSync(csv, "utf8").trimEnd().split("\r\n")).toHaveLength(13);
      await metrics.shutdown();
      // The application's DataSource is the application's to close.
      expect(appDataSource.isInitialized).toBe(true);
      expect(existsSync(join(dir, "spill.ndjson"))).toBe(false);
    } finally {
      await appDataSource.destroy();
    }
    expect(sqlite(path, "SELECT skill_id, count(*) FROM execution_metrics GROUP BY skill_id ORDER BY skill_id")).toBe("a_skill|9\nb_skill|3");
  });

  it("without SKILL_METRICS_ENTITIES: ENTITIES_MISSING naming the classes, and the DataSource it initialized is closed again", async () => {
    class AppEntityless {}
    void AppEntityless;
    const path = join(dir, "app.db");
    const appDataSource = new DataSource({ type: "better-sqlite3", database: path, entities: [], migrations: SKILL_METRICS_MIGRATIONS });
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: appDataSource, spillPath: join(dir, "spill.ndjson") }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe("SKILL_METRICS_ENTITIES_MISSING");
    expect(error.message).toContain("ExecutionMetric, SkillProfile, ErrorCategory");
    expect(error.message).toContain("SKILL_METRICS_ENTITIES");
    expect(appDataSource.isInitialized).toBe(false);
    expect(getDefaultSink()).toBeNull();
    // Refused before the migrations ran: no table was created.
    expect(sqlite(path, "SELECT count(*) FROM sqlite_master WHERE name = 'execution_metrics'")).toBe("0");
  });

  it("an application's already initialized DataSource stays initialized when it is refused", async () => {
    const appDataSource = new DataSource({ type: "better-sqlite3", database: ":memory:", entities: [] });
    await appDataSource.initialize();
    try {
      const error = await refusal(ExecutionMetricsCollector.create({ dataSource: appDataSource, spillPath: null }));
      expect(error.code).toBe("SKILL_METRICS_ENTITIES_MISSING");
      expect(appDataSource.isInitialized).toBe(true);
    } finally {
      await appDataSource.destroy();
    }
  });

  it("without the migrations listed, on a database that lacks the tables: SCHEMA_MISSING naming them, no spill file", async () => {
    const path = join(dir, "app.db");
    const spill = join(dir, "spill.ndjson");
    const appDataSource = new DataSource({ type: "better-sqlite3", database: path, entities: SKILL_METRICS_ENTITIES });
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: appDataSource, spillPath: spill }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe("SKILL_METRICS_SCHEMA_MISSING");
    for (const table of ["execution_metrics", "skill_profiles", "error_categories"]) expect(error.message).toContain(table);
    expect(error.message).toContain("SKILL_METRICS_MIGRATIONS");
    expect(appDataSource.isInitialized).toBe(false);
    expect(existsSync(spill)).toBe(false);
  });

  it("without the migrations listed, on a database the application migrated itself (the TypeORM CLI route): records", async () => {
    const path = join(dir, "app.db");
    // What `typeorm migration:run -d <data source listing SKILL_METRICS_MIGRATIONS>` does.
    const cli = new DataSource({ type: "better-sqlite3", database: path, entities: SKILL_METRICS_ENTITIES, migrations: SKILL_METRICS_MIGRATIONS });
    await cli.initialize();
    await cli.runMigrations();
    await cli.destroy();

    const appDataSource = new DataSource({ type: "better-sqlite3", database: path, entities: SKILL_METRICS_ENTITIES });
    const metrics = await ExecutionMetricsCollector.create({ dataSource: appDataSource, spillPath: null, setAsDefault: false });
    metrics.record({ skill_id: "cli_route", started_at: "2026-01-01T00:00:00.000Z", status: "running" });
    await metrics.shutdown();
    expect(sqlite(path, "SELECT skill_id FROM execution_metrics")).toBe("cli_route");
  });

  it.each([
    ["a DataSource", (path: string) => new DataSource({ type: "better-sqlite3", database: path, entities: SKILL_METRICS_ENTITIES, migrations: SKILL_METRICS_MIGRATIONS, synchronize: true })],
    ["DataSource options", (path: string) => ({ type: "sqlite" as const, database: path, entities: SKILL_METRICS_ENTITIES, migrations: SKILL_METRICS_MIGRATIONS, synchronize: true })],
  ])("with synchronize: true (%s): SYNCHRONIZE_ON before anything is opened", async (_what, make) => {
    const path = join(dir, "app.db");
    const dataSource = make(path);
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource, spillPath: join(dir, "spill.ndjson") }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe("SKILL_METRICS_SYNCHRONIZE_ON");
    expect(error.message).toContain("synchronize: false");
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(["sqlite", "better-sqlite3"])("%s DataSource options without a database: a ConfigurationError on dataSource, nothing opened", async (type) => {
    const error = await refusal(
      ExecutionMetricsCollector.create({ dataSource: { type, entities: SKILL_METRICS_ENTITIES } as never, spillPath: join(dir, "spill.ndjson") }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe("SKILL_METRICS_INVALID_OPTION");
    expect(error.message).toContain('"dataSource"');
    expect(error.message).toContain("`database`");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("database pointing at a file that is not SQLite: a ConfigurationError naming the file, the driver's error as cause; the file is untouched", async () => {
    const notes = join(dir, "notes.txt");
    const text = "shopping list\n- milk\n- skill metrics\n".repeat(40);
    writeFileSync(notes, text);
    const error = await refusal(ExecutionMetricsCollector.create({ database: notes, spillPath: null }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe("SKILL_METRICS_NOT_A_DATABASE");
    expect(error.message).toContain(`Invalid option "database": ${notes} is not a SQLite database`);
    // The driver's own error (from the native addon, so of another realm than jest's Error: checked by shape).
    expect((error.cause as { code?: string }).code).toBe("SQLITE_NOTADB");
    expect((error.cause as Error).message).toContain("file is not a database");
    expect(readFileSync(notes, "utf8")).toBe(text);
    expect(getDefaultSink()).toBeNull();
  });
});
