import type { DataSource, QueryRunner } from "typeorm";
import { StorageError } from "../errors";
import { dialectOf } from "./dialect";

/** Reads that all see one consistent state of the database, until closed. */
export interface ReadSnapshot {
  /** Runs SQL with the driver's own placeholders (`?` on SQLite, `$1…` on PostgreSQL). */
  query(sql: string, parameters: unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * False for an in-memory SQLite database: no second connection can see its data, so the reads run on the
   * DataSource's shared connection without a transaction, and a write between two reads may be seen by the later.
   */
  readonly consistent: boolean;
  close(): Promise<void>;
}

/**
 * Opens a read snapshot beside the DataSource's own connection, so that long reads neither block nor collide
 * with the recorder's writes:
 *
 * - SQLite file (sqlite driver): a dedicated read-only node-sqlite3 connection holding one read
 *   transaction (in WAL mode, the default here, writers go on meanwhile; the snapshot is taken at its first
 *   read). A BEGIN on the DataSource's connection would instead collide with the recorder's transactions: the
 *   sqlite driver shares one connection.
 * - SQLite in memory: the shared connection, not consistent (see {@link ReadSnapshot.consistent}).
 * - The better-sqlite3 driver (file or memory): the DataSource's queries, not consistent either — a node-sqlite3
 *   connection beside it would be a second SQLite library in the process, blind to its locks.
 * - Other drivers (PostgreSQL): a REPEATABLE READ, READ ONLY transaction on its own pooled connection.
 *
 * Several snapshots may be open at once; on a file or a server they read in parallel.
 */
export async function openReadSnapshot(dataSource: DataSource): Promise<ReadSnapshot> {
  return dialectOf(dataSource) === "sqlite" ? openSqliteSnapshot(dataSource) : openQueryRunnerSnapshot(dataSource);
}

interface RawSqliteDatabase {
  all(sql: string, parameters: unknown[], callback: (error: Error | null, rows: Record<string, unknown>[]) => void): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
  close(callback: (error: Error | null) => void): void;
  configure(option: "busyTimeout", value: number): void;
}

async function openSqliteSnapshot(dataSource: DataSource): Promise<ReadSnapshot> {
  const file = String((dataSource.options as { database?: unknown }).database ?? "");
  const shared = (dataSource.driver as unknown as { databaseConnection?: RawSqliteDatabase }).databaseConnection;
  const query = (db: RawSqliteDatabase) => (sql: string, parameters: unknown[]) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) =>
      db.all(sql, parameters, (error, rows) => (error ? reject(new StorageError("Read query failed", error)) : resolve(rows))),
    );
  // better-sqlite3: its connection has no callback API, and a node-sqlite3 connection beside it would put a second
  // SQLite library in the process, which cannot see its locks. Reads go through the DataSource.
  if (dataSource.options.type === "better-sqlite3") {
    return {
      query: (sql, parameters) => dataSource.query(sql, parameters) as Promise<Record<string, unknown>[]>,
      consistent: false,
      close: async () => undefined,
    };
  }
  if (file === "" || file === ":memory:" || file.startsWith("file::memory:")) {
    if (!shared) throw StorageError.notConnected();
    return { query: query(shared), consistent: false, close: async () => undefined };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require("sqlite3") as {
    Database: new (file: string, mode: number, callback: (error: Error | null) => void) => RawSqliteDatabase;
    OPEN_READONLY: number;
  };
  const db = await new Promise<RawSqliteDatabase>((resolve, reject) => {
    const opened: RawSqliteDatabase = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) =>
      error ? reject(new StorageError(`Cannot open ${file} for reading`, error)) : resolve(opened),
    );
  });
  db.configure("busyTimeout", 5000);
  const exec = (sql: string) =>
    new Promise<void>((resolve, reject) => db.exec(sql, (error) => (error ? reject(new StorageError("Read failed", error)) : resolve())));
  try {
    await exec("BEGIN");
  } catch (error) {
    await new Promise((resolve) => db.close(resolve));
    throw error;
  }
  return {
    query: query(db),
    consistent: true,
    close: async () => {
      await exec("COMMIT").catch(() => undefined);
      await new Promise((resolve) => db.close(resolve));
    },
  };
}

async function openQueryRunnerSnapshot(dataSource: DataSource): Promise<ReadSnapshot> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  return {
    query: (sql, parameters) => runner.query(sql, parameters) as Promise<Record<string, unknown>[]>,
    consistent: true,
    close: async () => {
      await runner.query("COMMIT").catch(() => undefined);
      await runner.release();
    },
  };
}
