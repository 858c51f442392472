/**
 * The recorder's writer thread: owns a better-sqlite3 connection to the metrics file and writes each batch it
 * receives in one `BEGIN IMMEDIATE … COMMIT`, replying once the COMMIT has succeeded (or the failed write has
 * been rolled back). The application's thread only builds rows and posts batches; the SQL work, parameter
 * binding included, happens here.
 *
 * better-sqlite3 rather than node-sqlite3 here: its calls are synchronous, so ending the thread (the process
 * exiting, or `terminate()`) never finds a driver callback in flight — with node-sqlite3 that aborts the whole
 * process (napi_throw, exit code 134; reproduced). A write cut off that way is rolled back by SQLite, and the
 * main thread, which keeps every row until its reply, has spilled it.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ExecutionMetricRow } from "../../entities/execution-metric-columns";
import { buildInsert, rowsPerStatement, toParameters } from "../insert-statement";
import { FileIdentityCheck } from "../file-identity";
import { decodeBatch } from "./batch-codec";
import type { WriteReply, WriteRequest, WriterConfig } from "./writer-protocol";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require("better-sqlite3") as typeof import("better-sqlite3");
type Connection = import("better-sqlite3").Database;
type Statement = import("better-sqlite3").Statement;

const config = workerData as WriterConfig;
const file = new FileIdentityCheck(config.filePath);
const perStatement = rowsPerStatement("sqlite");
let connection: Connection | null = null;
let statements = new Map<number, Statement>();

function open(): Connection {
  if (connection !== null) return connection;
  // fileMustExist: the collector has created and migrated it; a deleted file must not be silently recreated.
  const db = new Database(config.filePath, { fileMustExist: true, timeout: config.busyTimeoutMillis });
  connection = db;
  statements = new Map();
  return db;
}

/** Closes the connection (SQLite rolls back anything left open); the next write opens a new one. */
function discard(): void {
  const db = connection;
  connection = null;
  statements = new Map();
  try {
    db?.close();
  } catch {
    // Already unusable: nothing left to release.
  }
}

function statementFor(db: Connection, rowCount: number): Statement {
  let statement = statements.get(rowCount);
  if (statement === undefined) {
    statement = db.prepare(buildInsert(rowCount, "sqlite"));
    statements.set(rowCount, statement);
  }
  return statement;
}

function write(rows: readonly ExecutionMetricRow[]): void {
  file.check();
  const db = open();
  try {
    db.exec("BEGIN IMMEDIATE");
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      statementFor(db, chunk.length).run(toParameters(chunk, "sqlite"));
    }
    db.exec("COMMIT");
  } catch (error) {
    // Roll back, and prove it: better-sqlite3 reports whether the connection is still inside a transaction.
    try {
      if (db.inTransaction) db.exec("ROLLBACK");
    } catch {
      // Handled below.
    }
    if (connection !== null && connection.inTransaction) discard();
    throw error;
  }
}

parentPort!.on("message", (message: WriteRequest | "close") => {
  if (message === "close") {
    discard();
    parentPort!.close();
    return;
  }
  let reply: WriteReply;
  try {
    write(decodeBatch(message.batch));
    reply = { id: message.id, ok: true };
  } catch (error) {
    const { message: text, code } = error as { message?: unknown; code?: unknown };
    reply = {
      id: message.id,
      ok: false,
      message: typeof text === "string" ? text : String(error),
      code: typeof code === "string" ? code : undefined,
    };
  }
  parentPort!.postMessage(reply);
});
