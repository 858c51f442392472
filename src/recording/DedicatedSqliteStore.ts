import type { ExecutionMetricRow } from "../entities/execution-metric-columns";
import { ConfigurationError, StorageError } from "../errors";
import { buildInsert, forEachStatement } from "./insert-statement";
import type { MetricStore } from "./MetricStore";
import { FileIdentityCheck } from "./SqlMetricStore";

/** The parts of node-sqlite3's Database this store uses. */
interface RawDatabase {
  configure(option: "busyTimeout", value: number): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
  run(sql: string, parameters: unknown[], callback: (error: Error | null) => void): void;
  close(callback: (error: Error | null) => void): void;
}

/**
 * The recorder's write path for a SQLite file: a connection of its own (node-sqlite3, no TypeORM in between),
 * so the recorder's transactions never share a connection — or TypeORM's transaction bookkeeping — with the
 * application's queries, profile refreshes or imports on the DataSource. Each batch is one
 * `BEGIN IMMEDIATE … COMMIT`; after any failure the connection is closed (which rolls back whatever SQLite
 * left open) and the next batch opens a fresh one, so a failed write can never leave later batches inside a
 * transaction that never commits.
 *
 * The file must exist (the collector has migrated it): the connection is opened without SQLITE_OPEN_CREATE,
 * and a file deleted or replaced while open is refused before each write (see FileIdentityCheck).
 */
export class DedicatedSqliteStore implements MetricStore {
  private connection: Promise<RawDatabase> | null = null;
  private readonly statements = new Map<number, string>();
  private readonly file: FileIdentityCheck;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  /**
   * @param filePath the migrated SQLite file.
   * @param busyTimeoutMillis how long a write waits for another connection's lock before SQLITE_BUSY.
   */
  constructor(
    filePath: string,
    private readonly busyTimeoutMillis: number,
  ) {
    this.file = new FileIdentityCheck(filePath);
  }

  /** Writes the rows in one transaction; writes run one after the other. */
  insert(rows: readonly ExecutionMetricRow[]): Promise<void> {
    const run = this.tail.then(
      () => this.write(rows),
      () => this.write(rows),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection once the writes queued before the call have settled. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await this.discardConnection();
  }

  private async write(rows: readonly ExecutionMetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.closed) throw new StorageError("Writing metric rows failed", new Error("the store has been closed"));
    this.file.check();
    const db = await this.open();
    try {
      await exec(db, "BEGIN IMMEDIATE");
      await forEachStatement(rows, "sqlite", (n) => this.statementFor(n), (sql, parameters) => run(db, sql, parameters));
      await exec(db, "COMMIT");
    } catch (error) {
      await this.discardConnection();
      throw error;
    }
  }

  private open(): Promise<RawDatabase> {
    this.connection ??= new Promise<RawDatabase>((resolve, reject) => {
      const sqlite3 = loadDriver();
      const db: RawDatabase = new sqlite3.Database(this.file.filePath, sqlite3.OPEN_READWRITE, (error: Error | null) => {
        if (error) reject(error);
        else {
          db.configure("busyTimeout", this.busyTimeoutMillis);
          resolve(db);
        }
      });
    }).catch((error: unknown) => {
      this.connection = null;
      throw error;
    });
    return this.connection;
  }

  /** Closes the connection (rolling back anything open); the next write opens a new one. */
  private async discardConnection(): Promise<void> {
    const pending = this.connection;
    this.connection = null;
    if (pending === null) return;
    try {
      const db = await pending;
      await new Promise<void>((resolve) => db.close(() => resolve()));
    } catch {
      // It never opened, or closing failed: either way it is no longer used.
    }
  }

  private statementFor(rowCount: number): string {
    let sql = this.statements.get(rowCount);
    if (sql === undefined) {
      sql = buildInsert(rowCount, "sqlite");
      this.statements.set(rowCount, sql);
    }
    return sql;
  }
}

function exec(db: RawDatabase, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
}

function run(db: RawDatabase, sql: string, parameters: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, parameters, (error) => (error ? reject(error) : resolve())));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function loadDriver(): any {
  try {
    return require("sqlite3");
  } catch (error) {
    throw ConfigurationError.sqliteAddonMissing(error);
  }
}
