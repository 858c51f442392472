import { DataSource } from "typeorm";
import { ExecutionMetric } from "../../../src/storage/entities/ExecutionMetric.entity";
import { EXECUTION_METRIC_COLUMNS } from "../../../src/model/execution-metric-columns";
import { createDataSource, openDatabase, SKILL_METRICS_MIGRATIONS } from "../../../src/storage/data-source";

async function tables(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] = await dataSource.query(
    "SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.map((r) => r.name);
}

async function schemaSql(dataSource: DataSource): Promise<string[]> {
  const rows: { sql: string }[] = await dataSource.query(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT IN ('migrations', 'sqlite_sequence') ORDER BY name",
  );
  return rows.map((r) => r.sql);
}

describe("migrations", () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it("leave nothing for the entities to change: the schema diff after migrating is empty", async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((q) => q.query)).toEqual([]);
  });

  it("agree with the column table the raw paths use: same names, properties and order", () => {
    const columns = dataSource.getMetadata(ExecutionMetric).columns;
    expect(columns.map((c) => [c.databaseName, c.propertyName])).toEqual(
      EXECUTION_METRIC_COLUMNS.map((c) => [c.name, c.property]),
    );
  });

  it("create the three tables of the specification", async () => {
    const names = await tables(dataSource);
    expect(names).toEqual(expect.arrayContaining(["execution_metrics", "skill_profiles", "error_categories"]));
  });

  it("seed the built-in error categories with a severity each", async () => {
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

  it("go down to an empty schema and up again to the same schema", async () => {
    const migrated = await schemaSql(dataSource);
    for (let i = 0; i < SKILL_METRICS_MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: "each" });
    expect(await tables(dataSource)).toEqual(["migrations"]);
    await dataSource.runMigrations({ transaction: "each" });
    expect(await schemaSql(dataSource)).toEqual(migrated);
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries).toEqual([]);
  });

  it("are idempotent: opening an already migrated database runs nothing", async () => {
    const before = await dataSource.query("SELECT name FROM migrations ORDER BY id");
    await openDatabase(dataSource);
    expect(await dataSource.query("SELECT name FROM migrations ORDER BY id")).toEqual(before);
    expect(before).toHaveLength(SKILL_METRICS_MIGRATIONS.length);
  });
});
