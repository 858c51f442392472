import { DataSource, type DataSourceOptions } from "typeorm";
import { ErrorCategory } from "../entities/ErrorCategory.entity";
import { ExecutionMetric } from "../entities/ExecutionMetric.entity";
import { SkillProfile } from "../entities/SkillProfile.entity";
import { InitialSchema1764288000000 } from "../../migrations/1764288000000-InitialSchema";
import { QueryIndexes1764374400000 } from "../../migrations/1764374400000-QueryIndexes";
import { ConfigurationError } from "../errors";

/** The entities of skill-metrics, for users who include them in their own DataSource. */
export const SKILL_METRICS_ENTITIES = [ExecutionMetric, SkillProfile, ErrorCategory];

/** The migrations of skill-metrics in order, for users who run them from their own DataSource. */
export const SKILL_METRICS_MIGRATIONS = [InitialSchema1764288000000, QueryIndexes1764374400000];

/** The SQLite file used when nothing else is said. */
export const DEFAULT_DATABASE_PATH = "execution_metrics.db";

/** Where the metrics live. Every field is optional; with none, the SQLite file `execution_metrics.db`. */
export interface DatabaseOptions {
  /** SQLite file path, or ":memory:". Default: env SKILL_METRICS_DB, else `execution_metrics.db`. */
  database?: string;
  /** PostgreSQL connection URL (`postgres://…`). Default: env SKILL_METRICS_DB_URL. Wins over `database`. */
  url?: string;
  /** Your own DataSource (initialized or not) or options for one; it must include SKILL_METRICS_ENTITIES. */
  dataSource?: DataSource | DataSourceOptions;
  /** How long SQLite waits for another process's write lock, in milliseconds. Default 5000. */
  busyTimeoutMillis?: number;
}

/**
 * Builds (without initializing) the DataSource that options describe: the user's own, PostgreSQL by URL, or
 * SQLite in WAL mode. Migrations are listed as classes, never globs, and `synchronize` is always off.
 */
export function createDataSource(options: DatabaseOptions = {}): DataSource {
  if (options.dataSource instanceof DataSource) return options.dataSource;
  if (options.dataSource) return new DataSource(options.dataSource);
  const url = options.url ?? process.env.SKILL_METRICS_DB_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw ConfigurationError.invalidOption("url", `expected a postgres:// or postgresql:// URL, got "${url}"`);
    }
    return new DataSource({
      type: "postgres",
      url,
      entities: SKILL_METRICS_ENTITIES,
      migrations: SKILL_METRICS_MIGRATIONS,
      synchronize: false,
      driver: loadPg(),
    });
  }
  const busyTimeout = options.busyTimeoutMillis ?? 5000;
  if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
    throw ConfigurationError.invalidOption("busyTimeoutMillis", "must be a whole number of milliseconds ≥ 0");
  }
  return new DataSource({
    type: "sqlite",
    database: options.database ?? process.env.SKILL_METRICS_DB ?? DEFAULT_DATABASE_PATH,
    entities: SKILL_METRICS_ENTITIES,
    migrations: SKILL_METRICS_MIGRATIONS,
    synchronize: false,
    enableWAL: true,
    busyTimeout,
    driver: loadSqlite3(),
  });
}

/**
 * Loads sqlite3 ourselves: TypeORM turns every load failure into "package not installed", which hides the
 * common case on npm 11 — the package is there but its native addon was never built.
 *
 * TypeORM also calls the driver's `verbose()`, which makes every statement capture a stack trace and keep its
 * SQL and parameters for error messages: about 30% of the recorder's write time on the main thread (profiled
 * with node --cpu-prof, bench/RESULTS.md). The module handed to TypeORM answers `verbose()` with itself, so
 * SQL errors keep their message and code but lose the driver's extended stack.
 */
function loadSqlite3(): unknown {
  try {
    const sqlite3 = require("sqlite3");
    return Object.create(sqlite3, { verbose: { value: () => sqlite3 } });
  } catch (error) {
    if (String((error as Error)?.message).includes("bindings")) throw ConfigurationError.sqliteAddonMissing(error);
    throw error;
  }
}

/**
 * Loads `pg` only when a PostgreSQL URL is used (SQLite users need not install it), and names the fix when it
 * is missing: TypeORM's own message would not say that pg is an optional peer dependency of this package.
 */
function loadPg(): unknown {
  try {
    return require("pg");
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === "MODULE_NOT_FOUND") throw ConfigurationError.pgMissing(error);
    throw error;
  }
}

/** PostgreSQL advisory-lock key that serializes migrations across processes ("skm" in ASCII). */
const MIGRATION_LOCK_KEY = 0x736b6d;

/**
 * Initializes the DataSource if needed and runs pending migrations.
 *
 * On SQLite every pending migration runs inside one `BEGIN IMMEDIATE` transaction, which takes the write lock
 * first (waiting up to the busy timeout): several processes opening a new file at the same moment then migrate
 * it one after the other, and the later ones find nothing left to do. With TypeORM's deferred transactions they
 * raced, and the losers failed with "table already exists" or an immediate SQLITE_BUSY (a reader cannot
 * upgrade to a writer while another process writes). On PostgreSQL an advisory lock does the same, and each
 * migration runs in its own transaction.
 */
export async function openDatabase(dataSource: DataSource): Promise<DataSource> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  if (dataSource.options.type === "postgres") {
    // Many hosts may start against a fresh database at once: a session-level advisory lock makes them migrate
    // one after the other (the later ones find nothing to do) instead of racing to "relation already exists".
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      await dataSource.runMigrations({ transaction: "each" });
    } finally {
      await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
    return dataSource;
  }
  if (dataSource.options.type !== "sqlite") {
    await dataSource.runMigrations({ transaction: "each" });
    return dataSource;
  }
  // The sqlite driver has one connection per DataSource, so these statements and the migrations share it.
  await dataSource.query("BEGIN IMMEDIATE");
  try {
    await dataSource.runMigrations({ transaction: "none" });
    await dataSource.query("COMMIT");
  } catch (error) {
    await dataSource.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return dataSource;
}
