import type { DataSource, DataSourceOptions } from "typeorm";
import { ConfigurationError } from "../errors";
import { type DataSourceLike, isDataSourceLike } from "./data-source-like";

/**
 * The checks an application's DataSource must pass before skill-metrics uses it. Each failure is a
 * ConfigurationError that names the fix, raised by create() (through openDatabase) — not a TypeORM error at the
 * first query, nor rows quietly going to the spill file.
 */

/**
 * Refuses `synchronize: true`: TypeORM would create the SDK's tables from the entities before the migrations
 * run ("table already exists"), and later alter them and drop the indexes and triggers only the migrations
 * create. Reads the options only: call it before the DataSource is initialized.
 *
 * @throws ConfigurationError (code SKILL_METRICS_SYNCHRONIZE_ON).
 */
export function checkSynchronizeOff(dataSource: DataSource | DataSourceOptions | DataSourceLike): void {
  const options = (isDataSourceLike(dataSource) ? dataSource.options : dataSource) as { synchronize?: unknown };
  if (options.synchronize === true) throw ConfigurationError.synchronizeOn();
}

/**
 * Refuses an initialized DataSource that lacks some of `entities` (the SDK's): every repository of theirs would
 * fail with TypeORM's EntityMetadataNotFoundError at the first query. Compared by class, which is what TypeORM
 * looks up: the entities' decorators store into TypeORM's global metadata storage, which every copy of TypeORM
 * in the process shares, so an application's own TypeORM builds them too.
 *
 * @throws ConfigurationError (code SKILL_METRICS_ENTITIES_MISSING) naming the missing classes.
 */
export function checkEntitiesRegistered(dataSource: DataSource, entities: readonly (abstract new () => unknown)[]): void {
  const targets = new Set<unknown>(dataSource.entityMetadatas.map((metadata) => metadata.target));
  const missing = entities.filter((entity) => !targets.has(entity)).map((entity) => entity.name);
  if (missing.length > 0) throw ConfigurationError.entitiesMissing(missing);
}

/**
 * Refuses an initialized DataSource whose database lacks a table of `entities` after the pending migrations
 * ran: it did not list the SDK's migrations and nobody ran them, so every write would fail ("no such table")
 * and go to the spill file. Asks TypeORM's own query runner, so a PostgreSQL `schema` option is honoured.
 *
 * @throws ConfigurationError (code SKILL_METRICS_SCHEMA_MISSING) naming the missing tables.
 */
export async function checkSchemaPresent(dataSource: DataSource, entities: readonly (abstract new () => unknown)[]): Promise<void> {
  const tables = dataSource.entityMetadatas
    .filter((metadata) => entities.includes(metadata.target as abstract new () => unknown))
    .map((metadata) => metadata.tablePath);
  const runner = dataSource.createQueryRunner();
  const missing: string[] = [];
  try {
    for (const table of tables) if (!(await runner.hasTable(table))) missing.push(table);
  } finally {
    await runner.release();
  }
  if (missing.length > 0) throw ConfigurationError.schemaMissing(missing);
}

/**
 * Refuses SQLite DataSource options without a `database` (file path or ":memory:"), which TypeORM itself only
 * notices when connecting, with Node's "The "path" argument must be of type string".
 *
 * @throws ConfigurationError naming the `dataSource` option.
 */
export function checkSqliteDatabaseNamed(options: DataSourceOptions): void {
  const { type, database } = options as { type?: unknown; database?: unknown };
  if ((type === "sqlite" || type === "better-sqlite3") && (typeof database !== "string" || database === "")) {
    throw ConfigurationError.invalidOption(
      "dataSource",
      `a "${type}" DataSource needs \`database\`: the SQLite file's path, or ":memory:"`,
    );
  }
}

/** Whether an initialized DataSource lists every one of `migrations` (TypeORM holds them as instances). */
export function listsMigrations(dataSource: DataSource, migrations: readonly (abstract new () => unknown)[]): boolean {
  const listed = new Set<unknown>(dataSource.migrations.map((migration) => migration.constructor));
  return migrations.every((migration) => listed.has(migration));
}
