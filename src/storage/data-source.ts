import { DataSource, type DataSourceOptions } from "typeorm";
import { ErrorCategory } from "./entities/ErrorCategory.entity";
import { ExecutionMetric } from "./entities/ExecutionMetric.entity";
import { SkillProfile } from "./entities/SkillProfile.entity";
import { ExecutionAnomaly } from "./entities/ExecutionAnomaly.entity";
import { ExecutionReview } from "./entities/ExecutionReview.entity";
import { CorrectiveAction } from "./entities/CorrectiveAction.entity";
import { LearningLink } from "./entities/LearningLink.entity";
import { InitialSchema1764288000000 } from "../../migrations/1764288000000-InitialSchema";
import { QueryIndexes1764374400000 } from "../../migrations/1764374400000-QueryIndexes";
import { PagedIndexes1764460800000 } from "../../migrations/1764460800000-PagedIndexes";
import { Annotations1764547200001 } from "../../migrations/1764547200001-Annotations";
import { SkillTotals1764633600000 } from "../../migrations/1764633600000-SkillTotals";
import { VariantsAndLatency1764547200000 } from "../../migrations/1764547200000-VariantsAndLatency";
import { ConfigurationError } from "../errors";
import { checkSupportedDataSource, type Dialect, dialectOf } from "./dialect";
import { type DataSourceLike, isDataSourceLike } from "./data-source-like";
import { checkEntitiesRegistered, checkSchemaPresent, checkSqliteDatabaseNamed, checkSynchronizeOff, listsMigrations } from "./data-source-checks";

/** The entities of skill-metrics, for users who include them in their own DataSource. */
export const SKILL_METRICS_ENTITIES = [
  ExecutionMetric,
  SkillProfile,
  ErrorCategory,
  ExecutionAnomaly,
  ExecutionReview,
  CorrectiveAction,
  LearningLink,
];

/** The migrations of skill-metrics in order, for users who run them from their own DataSource. */
export const SKILL_METRICS_MIGRATIONS = [InitialSchema1764288000000, QueryIndexes1764374400000, PagedIndexes1764460800000, VariantsAndLatency1764547200000, Annotations1764547200001, SkillTotals1764633600000];

/** The SQLite file used when nothing else is said. */
export const DEFAULT_DATABASE_PATH = "execution_metrics.db";

/** Where the metrics live. Every field is optional; with none, the SQLite file `execution_metrics.db`. */
export interface DatabaseOptions {
  /** SQLite file path, or ":memory:". Default: env SKILL_METRICS_DB, else `execution_metrics.db`. */
  database?: string;
  /** PostgreSQL connection URL (`postgres://…`). Default: env SKILL_METRICS_DB_URL. Wins over `database`. */
  url?: string;
  /**
   * Your own DataSource (initialized or not; from your application's TypeORM, 0.3.31+ or 1.x) or options for one.
   * It must register SKILL_METRICS_ENTITIES, have `synchronize` off, and either list SKILL_METRICS_MIGRATIONS
   * (pending ones run at create()) or have had them run. Its type must be "sqlite", "better-sqlite3" or
   * "postgres". Each of these is checked at create(), with a ConfigurationError naming the fix.
   */
  dataSource?: DataSource | DataSourceOptions | DataSourceLike;
  /** How long SQLite waits for another process's write lock, in milliseconds. Default 5000. */
  busyTimeoutMillis?: number;
  /**
   * PostgreSQL by `url` only: how long opening a connection may take (TCP connect, TLS, authentication) and how
   * long a query waits for a free pooled connection when all `poolSize` are busy, in milliseconds (pg's
   * `connectionTimeoutMillis`). Default 10,000; 0 waits without limit. A server that is down, unreachable or
   * frozen then fails the operation instead of hanging it.
   */
  connectTimeoutMillis?: number;
  /**
   * PostgreSQL by `url` only: the server cancels any statement of these connections that runs longer
   * (`statement_timeout`, sent at connect; the statement fails with SQLSTATE 57014 and the connection stays
   * usable). Waiting for a lock counts. Default 60,000; 0 sends nothing, so the server's own setting applies.
   */
  statementTimeoutMillis?: number;
  /**
   * PostgreSQL by `url` only: the client-side bound on one statement, in milliseconds (pg's `query_timeout`).
   * Unlike `statementTimeoutMillis` it also fires when the server does not answer at all (host gone, network
   * cut, server process frozen). The connection is then closed and never returned to the pool: pg itself would
   * leave the timed-out statement running on it and hand it to the next query. Default
   * `statementTimeoutMillis` + 10,000 (70,000), so the server's own, cleaner cancel normally comes first;
   * 0 (also the default when `statementTimeoutMillis` is 0) for no client-side bound.
   */
  queryTimeoutMillis?: number;
  /**
   * PostgreSQL by `url` only: at most this many connections are open at once (pg's pool `max`); the recorder
   * writes on one, queries and exports take others. Default 10. Idle connections close after 10 s.
   */
  poolSize?: number;
}

/** The defaults of the PostgreSQL connection options of {@link DatabaseOptions}. */
export const DEFAULT_POSTGRES_OPTIONS = {
  connectTimeoutMillis: 10_000,
  statementTimeoutMillis: 60_000,
  /** Added to statementTimeoutMillis for the default queryTimeoutMillis. */
  queryTimeoutGraceMillis: 10_000,
  poolSize: 10,
  /** TCP keepalive probes start after a connection has been idle this long. */
  keepAliveInitialDelayMillis: 30_000,
} as const;

/**
 * Builds (without initializing) the DataSource that options describe: the user's own, PostgreSQL by URL, or
 * SQLite in WAL mode. Migrations are listed as classes, never globs, and `synchronize` is always off.
 *
 * A `dataSource` that is a DataSource is recognised by its shape (see isDataSourceLike), so one built by the
 * application's own TypeORM is used as it is, whatever copy or version of TypeORM this package resolves.
 *
 * @throws ConfigurationError for a `dataSource` whose type is none of "sqlite", "better-sqlite3", "postgres", or
 * with `synchronize: true`, or options TypeORM cannot build a DataSource from (its error as `cause`).
 */
export function createDataSource(options: DatabaseOptions = {}): DataSource {
  if (options.dataSource) {
    // Refused before TypeORM loads a driver: a type skill-metrics cannot speak, and synchronize.
    checkSupportedDataSource(options.dataSource);
    checkSynchronizeOff(options.dataSource);
    if (isDataSourceLike(options.dataSource)) return options.dataSource;
    // Not shaped like a DataSource, so options (a DataSourceLike is always shaped like one).
    const dataSourceOptions = options.dataSource as DataSourceOptions;
    checkSqliteDatabaseNamed(dataSourceOptions);
    try {
      // TypeORM loads the driver package here (e.g. "better-sqlite3 package has not been found installed").
      return new DataSource(dataSourceOptions);
    } catch (error) {
      throw ConfigurationError.dataSourceOptions(error);
    }
  }
  const postgres = postgresByUrl(options);
  if (postgres !== null) {
    const { url, ...limits } = postgres;
    const pg = loadPg();
    return new DataSource({
      type: "postgres",
      url,
      entities: SKILL_METRICS_ENTITIES,
      migrations: SKILL_METRICS_MIGRATIONS,
      synchronize: false,
      driver: pg,
      connectTimeoutMS: limits.connectTimeoutMillis,
      poolSize: limits.poolSize,
      // Handed to pg's Pool and each Client. statement_timeout and query_timeout are only sent/armed when not 0.
      extra: {
        connectionTimeoutMillis: limits.connectTimeoutMillis,
        max: limits.poolSize,
        statement_timeout: limits.statementTimeoutMillis,
        query_timeout: limits.queryTimeoutMillis,
        // Detects a dead peer (host gone, connection cut by a firewall) on idle connections; a frozen server's
        // kernel still answers the probes, which is what query_timeout is for.
        keepAlive: true,
        keepAliveInitialDelayMillis: DEFAULT_POSTGRES_OPTIONS.keepAliveInitialDelayMillis,
        Client: discardingClient(pg),
      },
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

/**
 * The URL and connection limits (defaults applied, checked) when options name a PostgreSQL database by URL
 * (`url`, else SKILL_METRICS_DB_URL, and no `dataSource`); otherwise null. From these another thread can open a
 * connection of its own (the recorder's writer thread does).
 *
 * @throws ConfigurationError for a URL that is not postgres:// or an invalid limit.
 */
export function postgresByUrl(options: DatabaseOptions): ({ url: string } & PostgresLimits) | null {
  if (options.dataSource) return null;
  const url = options.url ?? process.env.SKILL_METRICS_DB_URL;
  if (!url) return null;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw ConfigurationError.invalidOption("url", `expected a postgres:// or postgresql:// URL, got "${url}"`);
  }
  return { url, ...resolvePostgresLimits(options) };
}

/** The PostgreSQL connection limits with defaults applied. */
export interface PostgresLimits {
  connectTimeoutMillis: number;
  statementTimeoutMillis: number;
  queryTimeoutMillis: number;
  poolSize: number;
}

/** Node's timers cannot wait longer (they fire after 1 ms instead); statement_timeout is an int too. */
const MAX_TIMEOUT_MILLIS = 2_147_483_647;

/**
 * Applies the defaults of the PostgreSQL options and checks them, before anything connects.
 *
 * @throws ConfigurationError naming the option and the rule it breaks.
 */
function resolvePostgresLimits(options: DatabaseOptions): PostgresLimits {
  const millis = (name: keyof DatabaseOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_TIMEOUT_MILLIS) {
      throw ConfigurationError.invalidOption(
        name,
        `must be a whole number of milliseconds from 0 (no limit) to ${MAX_TIMEOUT_MILLIS}, got ${describeValue(value)}`,
      );
    }
    return value;
  };
  const connectTimeoutMillis = millis("connectTimeoutMillis", DEFAULT_POSTGRES_OPTIONS.connectTimeoutMillis);
  const statementTimeoutMillis = millis("statementTimeoutMillis", DEFAULT_POSTGRES_OPTIONS.statementTimeoutMillis);
  const queryTimeoutMillis = millis(
    "queryTimeoutMillis",
    statementTimeoutMillis === 0
      ? 0
      : Math.min(statementTimeoutMillis + DEFAULT_POSTGRES_OPTIONS.queryTimeoutGraceMillis, MAX_TIMEOUT_MILLIS),
  );
  const poolSize = options.poolSize ?? DEFAULT_POSTGRES_OPTIONS.poolSize;
  if (typeof poolSize !== "number" || !Number.isInteger(poolSize) || poolSize < 1) {
    throw ConfigurationError.invalidOption("poolSize", `must be a whole number ≥ 1, got ${describeValue(poolSize)}`);
  }
  return { connectTimeoutMillis, statementTimeoutMillis, queryTimeoutMillis, poolSize };
}

function describeValue(value: unknown): string {
  return typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** pg's "Query read timeout" error: query_timeout expired before the server answered. */
const QUERY_READ_TIMEOUT = "Query read timeout";

/** How long a closing connection waits for the server to close its side before the socket is destroyed. */
const END_GRACE_MILLIS = 1000;

interface PgClientLike {
  query(...args: unknown[]): unknown;
  end(...args: unknown[]): unknown;
  connection?: {
    stream?: { destroyed?: boolean; destroy(error?: Error): void; once(event: "close", listener: () => void): unknown };
  };
  _queryable?: boolean;
}

/**
 * pg's Client, except that a statement failing with "Query read timeout" closes the connection, and that
 * closing a connection never waits for the server longer than END_GRACE_MILLIS.
 *
 * When query_timeout expires, pg (8.x, lib/client.js) rejects the query but leaves it running on the
 * connection, which stays "queryable": TypeORM releases it to the pool without an error, so the next query
 * (the ROLLBACK of the failed write, or another caller's statement) queues behind one the server may never
 * answer — or, if the ROLLBACK was dropped from the queue by its own timeout, runs inside the abandoned
 * transaction. Destroying the socket instead fails everything queued on it at once, and marking the client
 * unqueryable (pg's own flag, which pg-pool reads on release) keeps the pool from handing it out again.
 */
function discardingClient(pg: unknown): unknown {
  const Base = (pg as { Client: new (config: unknown) => PgClientLike }).Client;
  class DiscardingClient extends Base {
    override query(...args: unknown[]): unknown {
      const last = args.length - 1;
      if (typeof args[last] === "function") {
        const callback = args[last] as (error: unknown, ...rest: unknown[]) => void;
        args[last] = (error: unknown, ...rest: unknown[]) => {
          if (isReadTimeout(error)) this.discard();
          callback(error, ...rest);
        };
        return super.query(...args);
      }
      const result = super.query(...args);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          if (isReadTimeout(error)) this.discard();
          throw error;
        });
      }
      return result;
    }

    /**
     * Closing sends Terminate and half-closes the socket, then waits for the server to close its side: a
     * frozen server never does, and the open socket (FIN-WAIT-2) would keep the process from exiting after
     * shutdown() returned. After END_GRACE_MILLIS the socket is destroyed; the timer does not hold the process.
     */
    override end(...args: unknown[]): unknown {
      const stream = this.connection?.stream;
      if (stream && !stream.destroyed) {
        const timer = setTimeout(() => stream.destroy(), END_GRACE_MILLIS);
        timer.unref();
        stream.once("close", () => clearTimeout(timer));
      }
      return super.end(...args);
    }

    private discard(): void {
      this._queryable = false;
      this.connection?.stream?.destroy();
    }
  }
  return DiscardingClient;
}

function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_READ_TIMEOUT;
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
 *
 * A DataSource that is not usable is refused with a ConfigurationError naming the fix (see data-source-checks.ts):
 * before anything is initialized for a type other than "sqlite", "better-sqlite3" and "postgres" (see dialectOf)
 * and for `synchronize: true`; after initializing for missing SKILL_METRICS_ENTITIES, and after migrating for
 * missing tables (the migrations were neither listed nor run). A DataSource initialized here is closed again
 * when opening fails.
 *
 * @throws ConfigurationError as above; the driver's own errors as they are (the caller wraps them).
 */
export async function openDatabase(dataSource: DataSource): Promise<DataSource> {
  const dialect = dialectOf(dataSource);
  checkSynchronizeOff(dataSource);
  const initializedHere = !dataSource.isInitialized;
  if (initializedHere) await dataSource.initialize();
  try {
    checkEntitiesRegistered(dataSource, SKILL_METRICS_ENTITIES);
    await migrate(dataSource, dialect);
    // With the migrations listed they just ran, so the tables exist; without, someone else must have run them.
    if (!listsMigrations(dataSource, SKILL_METRICS_MIGRATIONS)) await checkSchemaPresent(dataSource, SKILL_METRICS_ENTITIES);
  } catch (error) {
    if (initializedHere && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  return dataSource;
}

/** Runs the pending migrations the DataSource lists, serialized across processes (see openDatabase). */
async function migrate(dataSource: DataSource, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") {
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
    return;
  }
  // The sqlite and better-sqlite3 drivers have one connection per DataSource, so these statements and the
  // migrations share it.
  await dataSource.query("BEGIN IMMEDIATE");
  try {
    await dataSource.runMigrations({ transaction: "none" });
    await dataSource.query("COMMIT");
  } catch (error) {
    await dataSource.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
