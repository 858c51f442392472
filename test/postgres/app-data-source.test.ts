import { DataSource } from "typeorm";
import { ExecutionMetricsCollector } from "../../src/ExecutionMetricsCollector";
import { ConfigurationError, SkillMetricsError } from "../../src/errors";
import { SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS } from "../../src/storage/data-source";
import { setDefaultSink } from "../../src/tracking/default-sink";
import { createPgDatabase, describePg, type PgTestDatabase } from "./pg-database";

/**
 * An application's own PostgreSQL DataSource, built by another copy of TypeORM (the module evaluated again, as
 * an application with its own `typeorm` has it): used as it is, and checked at create() like a SQLite one.
 */
describePg("create({ dataSource }) with the application's PostgreSQL DataSource", () => {
  let database: PgTestDatabase;

  beforeEach(async () => {
    database = await createPgDatabase("app_data_source");
  });

  afterEach(async () => {
    setDefaultSink(null);
    await database.drop();
  });

  function secondTypeormCopy(): typeof import("typeorm") {
    let copy: typeof import("typeorm") | undefined;
    jest.isolateModules(() => {
      copy = require("typeorm");
    });
    expect(copy!.DataSource).not.toBe(DataSource);
    return copy!;
  }

  async function refusal(promise: Promise<unknown>): Promise<SkillMetricsError> {
    const error = await promise.then(
      () => new Error("expected create() to fail"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as SkillMetricsError;
  }

  it("records, reads and profiles on a DataSource of another TypeORM copy, and leaves it open", async () => {
    const typeorm = secondTypeormCopy();
    const app = new typeorm.DataSource({ type: "postgres", url: database.url, entities: [...SKILL_METRICS_ENTITIES], migrations: SKILL_METRICS_MIGRATIONS });
    await app.initialize();
    try {
      const metrics = await ExecutionMetricsCollector.create({ dataSource: app, setAsDefault: false, spillPath: null });
      for (let i = 0; i < 7; i++) metrics.start("pg_app_skill").end({ status: "success", outputSizeBytes: i });
      expect((await metrics.getMetrics({ skillId: "pg_app_skill" })).items).toHaveLength(7);
      expect((await metrics.getSkillProfile("pg_app_skill"))?.totalExecutions).toBe(7);
      await metrics.shutdown();
      expect(app.isInitialized).toBe(true);
      expect(await app.query("SELECT count(*)::int AS n FROM execution_metrics")).toEqual([{ n: 7 }]);
    } finally {
      await app.destroy();
    }
  });

  it("without the migrations on an empty database: SCHEMA_MISSING, and the DataSource it initialized is closed", async () => {
    const app = new DataSource({ type: "postgres", url: database.url, entities: [...SKILL_METRICS_ENTITIES] });
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: app, spillPath: null }));
    expect(error.code).toBe("SKILL_METRICS_SCHEMA_MISSING");
    expect(error.message).toContain("execution_metrics");
    expect(app.isInitialized).toBe(false);
  });

  it("without the entities: ENTITIES_MISSING before any migration ran", async () => {
    const app = new DataSource({ type: "postgres", url: database.url, entities: [], migrations: SKILL_METRICS_MIGRATIONS });
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: app, spillPath: null }));
    expect(error.code).toBe("SKILL_METRICS_ENTITIES_MISSING");
    const check = new DataSource({ type: "postgres", url: database.url });
    await check.initialize();
    try {
      expect(await check.query("SELECT to_regclass('public.execution_metrics') AS t")).toEqual([{ t: null }]);
    } finally {
      await check.destroy();
    }
  });

  it("with synchronize: true: SYNCHRONIZE_ON before it connects", async () => {
    const app = new DataSource({ type: "postgres", url: database.url, entities: [...SKILL_METRICS_ENTITIES], migrations: SKILL_METRICS_MIGRATIONS, synchronize: true });
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: app, spillPath: null }));
    expect(error.code).toBe("SKILL_METRICS_SYNCHRONIZE_ON");
    expect(app.isInitialized).toBe(false);
  });
});
