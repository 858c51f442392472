import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import { FileIdentityCheck } from "../file-identity";
import { buildInsert, rowsPerStatement, toParameters } from "../insert-statement";
import type { BatchWriter, SqliteWriterConfig } from "./writer-protocol";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require("better-sqlite3") as typeof import("better-sqlite3");
type Connection = import("better-sqlite3").Database;
type Statement = import("better-sqlite3").Statement;

/**
 * The writer thread's SQLite side: a better-sqlite3 connection of its own to the metrics file, each batch in one
 * `BEGIN IMMEDIATE … COMMIT`.
 *
 * better-sqlite3 rather than node-sqlite3 here: its calls are synchronous, so ending the thread (the process
 * exiting, or `terminate()`) never finds a driver callback in flight — with node-sqlite3 that aborts the whole
 * process (napi_throw, exit code 134; reproduced). A write cut off that way is rolled back by SQLite, and the
 * main thread, which keeps every row until its reply, has spilled it.
 */
/** How long the thread sleeps between attempts to take the write lock, in milliseconds. */
const BUSY_RETRY_MILLIS = 10;

export class SqliteBatchWriter implements BatchWriter {
  private readonly cancelled: Int32Array;
  private readonly file: FileIdentityCheck;
  private readonly perStatement = rowsPerStatement("sqlite");
  private connection: Connection | null = null;
  private statements = new Map<number, Statement>();

  constructor(private readonly config: SqliteWriterConfig) {
    this.cancelled = new Int32Array(config.cancel);
    this.file = new FileIdentityCheck(config.filePath);
  }

  write(rows: readonly ExecutionMetricRow[]): void {
    if (Atomics.load(this.cancelled, 0) === 1) throw new Error("abandoned: the collector was shut down before this write's turn");
    this.file.check();
    const db = this.open();
    this.begin(db);
    try {
      for (let start = 0; start < rows.length; start += this.perStatement) {
        const chunk = rows.slice(start, start + this.perStatement);
        this.statementFor(db, chunk.length).run(toParameters(chunk, "sqlite"));
      }
      db.exec("COMMIT");
    } catch (error) {
      // Roll back, and prove it: better-sqlite3 reports whether the connection is still inside a transaction.
      try {
        if (db.inTransaction) db.exec("ROLLBACK");
      } catch {
        // Handled below.
      }
      if (this.connection !== null && this.connection.inTransaction) this.close();
      throw error;
    }
  }

  /**
   * `BEGIN IMMEDIATE`, waiting up to busyTimeoutMillis for another connection's write lock — in this loop, not
   * in SQLite's busy handler: a thread ended while SQLite sleeps in its handler aborts the whole process when
   * the statement then fails (better-sqlite3 cannot create the error in a terminating thread: "FATAL ERROR:
   * v8::ToLocalChecked Empty MaybeLocal", reproduced with process exit and with terminate() during a held
   * lock). Atomics.wait is where an ending thread stops cleanly, and where an abandon wakes it.
   */
  private begin(db: Connection): void {
    const until = Date.now() + this.config.busyTimeoutMillis;
    for (;;) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const left = until - Date.now();
        if (typeof code !== "string" || !code.startsWith("SQLITE_BUSY") || left <= 0) throw error;
        if (Atomics.load(this.cancelled, 0) === 1) throw error;
        Atomics.wait(this.cancelled, 0, 0, Math.min(BUSY_RETRY_MILLIS, left));
      }
    }
  }

  /** Closes the connection (SQLite rolls back anything left open); the next write opens a new one. */
  close(): void {
    const db = this.connection;
    this.connection = null;
    this.statements = new Map();
    try {
      db?.close();
    } catch {
      // Already unusable: nothing left to release.
    }
  }

  private open(): Connection {
    if (this.connection !== null) return this.connection;
    // fileMustExist: the collector has created and migrated it; a deleted file must not be silently recreated.
    // timeout 0: waiting for the write lock is begin()'s loop (see there), never SQLite's busy handler.
    const db = new Database(this.config.filePath, { fileMustExist: true, timeout: 0 });
    this.connection = db;
    this.statements = new Map();
    return db;
  }

  private statementFor(db: Connection, rowCount: number): Statement {
    let statement = this.statements.get(rowCount);
    if (statement === undefined) {
      statement = db.prepare(buildInsert(rowCount, "sqlite"));
      this.statements.set(rowCount, statement);
    }
    return statement;
  }
}
