import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import { FileIdentityCheck } from "../file-identity";
import { rowsPerStatement } from "../insert-statement";
import { CallGate } from "./call-gate";
import { type SharedValueInsert, sharedValueInsert } from "./shared-value-insert";
import type { BatchWriter, SqliteWriterConfig } from "./writer-protocol";

/** The part of node-sqlite3's API the writer uses. */
interface Sqlite3 {
  Database: new (file: string, mode: number, callback: (error: Error | null) => void) => Connection;
  OPEN_READWRITE: number;
}
interface Connection {
  exec(sql: string, callback: (error: Error | null) => void): void;
  prepare(sql: string, callback: (error: Error | null) => void): Statement;
  close(callback: (error: Error | null) => void): void;
}
interface Statement {
  run(parameters: unknown[], callback: (error: Error | null) => void): void;
  finalize(callback: (error: Error | null) => void): void;
}

/** How long the thread sleeps between attempts to take the write lock, in milliseconds. */
const BUSY_RETRY_MILLIS = 1;
/**
 * How long the thread leaves the write lock free after a COMMIT before it begins its next batch: a tenth of the
 * time it held the lock, at least HANDOFF_MIN_MILLIS. Without it a thread with batches queued takes the lock
 * again within microseconds of releasing it, and writers polling for it (other processes' threads) starve: one
 * process of four wrote nothing in five seconds (reproduced). Nobody can tell from here whether another
 * connection is waiting, so the lock is always handed off, at the price of this pause when batches queue up
 * (at most a tenth of the write time; nothing when the thread is idle between batches).
 */
const HANDOFF_MIN_MILLIS = 2;
const HANDOFF_SHARE = 0.1;

/** Prepared INSERTs kept per connection (by row count and shared columns). */
const STATEMENTS_KEPT = 4;

/** Thrown for a call refused because the process is exiting or the writes were abandoned. */
class WriterStoppedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "WriterStoppedError";
  }
}

/**
 * The writer thread's SQLite side: a node-sqlite3 connection of its own to the metrics file, each batch in one
 * `BEGIN IMMEDIATE … COMMIT`.
 *
 * node-sqlite3, the library the application's DataSource already uses: two SQLite libraries in one process
 * cannot see each other's POSIX locks, and a second one (better-sqlite3) corrupted the file when the
 * application's connection wrote during the thread's write (reproduced). node-sqlite3 aborts the process when
 * the thread is torn down with a call in flight, so every call passes the CallGate, which the application's
 * thread shuts (waiting for the call in flight) before the process ends.
 *
 * The write lock is taken with `busyTimeout` 0 and retried here, between calls: SQLite's busy handler would keep
 * a call in flight for the whole wait, and the process's exit would have to wait for it.
 */
export class SqliteBatchWriter implements BatchWriter {
  private readonly gate: CallGate;
  private readonly file: FileIdentityCheck;
  private readonly perStatement = rowsPerStatement("sqlite");
  private connection: Connection | null = null;
  private statements = new Map<string, Statement>();
  /** When this thread last committed (epoch ms), and how long the lock is to stay free after it. */
  private lastCommit = Number.NEGATIVE_INFINITY;
  private handoffMillis = HANDOFF_MIN_MILLIS;

  constructor(private readonly config: SqliteWriterConfig) {
    this.gate = new CallGate(config.gate);
    this.file = new FileIdentityCheck(config.filePath);
  }

  async write(rows: readonly ExecutionMetricRow[]): Promise<void> {
    if (this.gate.abandoned) throw new WriterStoppedError("abandoned: the collector was shut down before this write's turn");
    this.file.check();
    const db = await this.open();
    const sinceCommit = Date.now() - this.lastCommit;
    if (sinceCommit < this.handoffMillis) this.gate.pause(this.handoffMillis - sinceCommit);
    await this.begin(db);
    const locked = Date.now();
    try {
      for (let start = 0; start < rows.length; start += this.perStatement) {
        const insert = sharedValueInsert(rows.slice(start, start + this.perStatement));
        const statement = await this.statementFor(db, insert);
        await this.call((done) => statement.run(insert.parameters, done));
      }
      await this.withLockRetries(() => this.call((done) => db.exec("COMMIT", done)));
      this.lastCommit = Date.now();
      this.handoffMillis = Math.max(HANDOFF_MIN_MILLIS, (this.lastCommit - locked) * HANDOFF_SHARE);
    } catch (error) {
      try {
        await this.call((done) => db.exec("ROLLBACK", done));
      } catch {
        // No transaction left open, or a connection that cannot be trusted: closed below either way.
        await this.close();
      }
      throw error;
    }
  }

  /**
   * Closes the connection (SQLite rolls back anything left open); the next write opens a new one. The kept
   * statements are finalized first: SQLite refuses to close a connection with statements left (SQLITE_BUSY),
   * which would leave it open for the life of the process.
   */
  async close(): Promise<void> {
    const db = this.connection;
    const statements = [...this.statements.values()];
    this.connection = null;
    this.statements = new Map();
    if (db === null) return;
    try {
      for (const statement of statements) await this.call((done) => statement.finalize(done));
      await this.call((done) => db.close(done));
    } catch {
      // Already unusable, or the process is exiting: nothing left to release.
    }
  }

  private async open(): Promise<Connection> {
    if (this.connection !== null) return this.connection;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqlite3 = require("sqlite3") as Sqlite3;
    let db: Connection | undefined;
    // OPEN_READWRITE without OPEN_CREATE: the collector created and migrated the file; a deleted file must not
    // be silently recreated.
    await this.call((done) => {
      db = new sqlite3.Database(this.config.filePath, sqlite3.OPEN_READWRITE, done);
    });
    this.connection = db!;
    this.statements = new Map();
    return db!;
  }

  /** `BEGIN IMMEDIATE`, retried while another connection holds the write lock, up to busyTimeoutMillis. */
  private begin(db: Connection): Promise<void> {
    return this.withLockRetries(() => this.call((done) => db.exec("BEGIN IMMEDIATE", done)));
  }

  private async withLockRetries(attempt: () => Promise<void>): Promise<void> {
    const until = Date.now() + this.config.busyTimeoutMillis;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const left = until - Date.now();
        if (code !== "SQLITE_BUSY" || left <= 0 || this.gate.abandoned) throw error;
        this.gate.pause(Math.min(BUSY_RETRY_MILLIS, left));
      }
    }
  }

  /**
   * The prepared statement of `insert`. At most STATEMENTS_KEPT are kept, the oldest finalized first, so that
   * grouped writes (whose last statement may have any size) and changing shared columns never pile them up.
   */
  private async statementFor(db: Connection, insert: SharedValueInsert): Promise<Statement> {
    let statement = this.statements.get(insert.key);
    if (statement !== undefined) return statement;
    let prepared: Statement | undefined;
    await this.call((done) => {
      prepared = db.prepare(insert.sql(), done);
    });
    statement = prepared!;
    for (const [count, oldest] of this.statements) {
      if (this.statements.size < STATEMENTS_KEPT) break;
      this.statements.delete(count);
      await this.call((done) => oldest.finalize(done));
    }
    this.statements.set(insert.key, statement);
    return statement;
  }

  /** One driver call through the gate: refused once the process is exiting. */
  private call(start: (done: (error: Error | null) => void) => void): Promise<void> {
    if (!this.gate.enter()) return Promise.reject(new WriterStoppedError("the process is exiting"));
    return new Promise<void>((resolve, reject) => {
      try {
        start((error) => {
          // The gate is left on the next turn, once node-sqlite3 has returned from the code that ran this
          // callback; the caller's next call waits for it.
          setImmediate(() => {
            this.gate.leave();
            if (error) reject(error);
            else resolve();
          });
        });
      } catch (error) {
        this.gate.leave();
        reject(error);
      }
    });
  }
}
