import { DataSource } from "typeorm";
import {
  createDataSource,
  openDatabase,
  SKILL_METRICS_ENTITIES,
  SKILL_METRICS_MIGRATIONS,
} from "../../src/storage/data-source";
import { ExecutionMetric } from "../../src/storage/entities/ExecutionMetric.entity";
import { EXECUTION_METRIC_COLUMNS } from "../../src/model/execution-metric-columns";
import { createPgDatabase, describePg, type PgTestDatabase } from "./pg-database";

/** Tables, indexes, triggers and functions of the public schema, with their definitions, in name order. */
async function schema(dataSource: DataSource): Promise<string[]> {
  const rows: { line: string }[] = await dataSource.query(`
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || COALESCE('(' || character_maximum_length || ')', '')
           || ' null=' || is_nullable || ' default=' || COALESCE(column_default, '-') AS line
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migrations'
    UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migrations'
    UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    ORDER BY 1`);
  return rows.map((r) => r.line);
}

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describePg("migrations", () => {
  let database: PgTestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createPgDatabase("migrations");
    dataSource = await openDatabase(createDataSource({ url: database.url }));
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it("leave nothing for the entities to change: the schema diff after migrating is empty", async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((q) => q.query)).toEqual([]);
  });

  it("create the tables with the documented column types (ISO text timestamps, JSON text arrays, float8)", async () => {
    expect(await tableNames(dataSource)).toEqual([
      "corrective_actions",
      "error_categories",
      "execution_anomalies",
      "execution_learnings",
      "execution_metrics",
      "execution_reviews",
      "execution_tags",
      "migrations",
      "skill_changes",
      "skill_failure_categories",
      "skill_profiles",
    ]);
    const columns: { column_name: string; data_type: string; len: number | null }[] = await dataSource.query(
      `SELECT column_name, data_type, character_maximum_length AS len FROM information_schema.columns
        WHERE table_name = 'execution_metrics' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
    const typeOf = (name: string) => columns.find((c) => c.column_name === name)!;
    expect(typeOf("started_at")).toMatchObject({ data_type: "character varying", len: 24 });
    expect(typeOf("tags")).toMatchObject({ data_type: "text" });
    expect(typeOf("total_duration_ms")).toMatchObject({ data_type: "double precision" });
    expect(typeOf("error_occurred")).toMatchObject({ data_type: "boolean" });
    expect(typeOf("variant")).toMatchObject({ data_type: "character varying", len: 64 });
    expect(typeOf("experiment_id")).toMatchObject({ data_type: "character varying", len: 255 });
    expect(typeOf("latency_acceptable")).toMatchObject({ data_type: "boolean" });
    expect(dataSource.getMetadata(ExecutionMetric).columns.map((c) => c.databaseName)).toEqual(
      EXECUTION_METRIC_COLUMNS.map((c) => c.name),
    );
  });

  it("seed the built-in error categories", async () => {
    const rows = await dataSource.query("SELECT category_id, severity FROM error_categories ORDER BY category_id");
    expect(rows).toEqual([
      { category_id: "api_error", severity: "high" },
      { category_id: "input_validation", severity: "low" },
      { category_id: "out_of_memory", severity: "critical" },
      { category_id: "output_validation", severity: "medium" },
      { category_id: "timeout", severity: "medium" },
      { category_id: "unknown", severity: "medium" },
    ]);
  });

  it("go down to an empty schema and up again to the same schema, with an empty diff", async () => {
    const migrated = await schema(dataSource);
    expect(migrated.some((line) => line.startsWith("trigger trg_execution_metrics_sync"))).toBe(true);
    for (let i = 0; i < SKILL_METRICS_MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: "each" });
    expect(await tableNames(dataSource)).toEqual(["migrations"]);
    expect(await schema(dataSource)).toEqual([]);
    await dataSource.runMigrations({ transaction: "each" });
    expect(await schema(dataSource)).toEqual(migrated);
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries).toEqual([]);
  });

  it("are idempotent: opening an already migrated database runs nothing", async () => {
    const before = await dataSource.query("SELECT name FROM migrations ORDER BY id");
    await openDatabase(dataSource);
    expect(await dataSource.query("SELECT name FROM migrations ORDER BY id")).toEqual(before);
    expect(before).toHaveLength(SKILL_METRICS_MIGRATIONS.length);
  });

  it("run from a user's own DataSource options listing the exported entities and migrations", async () => {
    const other = await createPgDatabase("own_datasource");
    const own = createDataSource({
      dataSource: {
        type: "postgres",
        url: other.url,
        entities: SKILL_METRICS_ENTITIES,
        migrations: SKILL_METRICS_MIGRATIONS,
      },
    });
    try {
      await openDatabase(own);
      expect((await own.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      expect(await own.query("SELECT count(*)::int AS n FROM error_categories")).toEqual([{ n: 6 }]);
    } finally {
      if (own.isInitialized) await own.destroy();
      await other.drop();
    }
  });
});
