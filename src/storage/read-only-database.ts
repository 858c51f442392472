import { promises as fs } from "node:fs";
import { DataSource } from "typeorm";
import { SkillMetricsError } from "../errors";
import { DEFAULT_DATABASE_PATH, SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS, createDataSource, postgresByUrl } from "./data-source";

/** Which database a reading command opens: the same fields and defaults as DatabaseOptions. */
export interface ReadOnlyDatabaseOptions {
  /** SQLite file. Default: env SKILL_METRICS_DB, else `execution_metrics.db`. */
  database?: string;
  /** PostgreSQL URL; wins over `database`. Default: env SKILL_METRICS_DB_URL. */
  url?: string;
}

/** A database opened for reading: its DataSource, and how to close it (always call close(), not destroy()). */
export interface ReadOnlyDatabase {
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** The first 16 bytes of every SQLite 3 database file (the file format's header string). */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/**
 * A database a reading command cannot use: missing, not SQLite, without (or with an older or newer) schema of
 * skill-metrics. The message names the path and what to do. Code `SKILL_METRICS_DATABASE_UNUSABLE`.
 */
function unusable(message: string): SkillMetricsError {
  return new SkillMetricsError(message, { code: "SKILL_METRICS_DATABASE_UNUSABLE" });
}

/**
 * Opens an existing metrics database for reading only: nothing is created (no file, no directory, no -wal
 * left behind), migrated or switched to WAL. A SQLite file is opened with SQLITE_OPEN_READONLY (see
 * companionsWouldBeLeft for the one exception) after its header and its migrations table were checked; stale profiles are then recomputed into a TEMP copy of `skill_profiles`
 * (private to the connection, which SQLite lets a read-only connection write), so the services work unchanged
 * and the file stays as it was.
 *
 * @throws SkillMetricsError (code SKILL_METRICS_DATABASE_UNUSABLE) naming the path and the fix when the file is
 * missing, is no SQLite database, or has no, an older or a newer skill-metrics schema.
 */
export async function openReadOnlyDatabase(options: ReadOnlyDatabaseOptions = {}): Promise<ReadOnlyDatabase> {
  if (postgresByUrl(options) !== null) {
    const dataSource = createDataSource(options);
    await dataSource.initialize();
    await checked(dataSource, "the PostgreSQL database", "skill-metrics migrate --db-url URL");
    return { dataSource, close: () => dataSource.destroy() };
  }
  const file = options.database ?? process.env.SKILL_METRICS_DB ?? DEFAULT_DATABASE_PATH;
  const migrate = `skill-metrics migrate --db ${file}`;
  if (file === ":memory:" || file === "") throw unusable(`A reading command needs a database file, got "${file}"`);
  const header = await checkSqliteFile(file, migrate);
  const sweep = await companionsWouldBeLeft(file, header);
  const sqlite3 = require("sqlite3") as RawSqlite3;
  const dataSource = new DataSource({
    type: "sqlite",
    database: file,
    // Without OPEN_CREATE the file is never created; TypeORM's mkdir of its directory finds it there.
    flags: sqlite3.OPEN_READONLY,
    entities: SKILL_METRICS_ENTITIES,
    migrations: SKILL_METRICS_MIGRATIONS,
    synchronize: false,
    busyTimeout: 5000,
    driver: Object.create(sqlite3, { verbose: { value: () => sqlite3 } }),
  });
  await dataSource.initialize();
  const close = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    if (sweep) await sweepCompanions(sqlite3, file);
  };
  try {
    await checked(dataSource, file, migrate);
    await shadowWritableTables(dataSource);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { dataSource, close };
}

/** The parts of the sqlite3 module used here. */
interface RawSqlite3 {
  OPEN_READONLY: number;
  OPEN_READWRITE: number;
  verbose(): unknown;
  Database: new (file: string, mode: number, callback: (error: Error | null) => void) => {
    get(sql: string, callback: (error: Error | null) => void): void;
    close(callback: (error: Error | null) => void): void;
  };
}

/**
 * Lets SQLite remove the -wal and -shm files the read-only connection had to create (it may not checkpoint,
 * so it leaves them): a connection opened read-write WITHOUT create runs one read and closes; SQLite's own
 * close then checkpoints the (empty) log and deletes both files, and only if no other connection uses them.
 * Nothing is written by a statement. Best effort: a failure leaves the two empty files, which are harmless.
 */
function sweepCompanions(sqlite3: RawSqlite3, file: string): Promise<void> {
  return new Promise((resolve) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (openError) => {
      if (openError) return resolve();
      db.get("SELECT 1 FROM sqlite_master LIMIT 1", () => db.close(() => resolve()));
    });
  });
}

/**
 * True for a WAL-mode database (byte 18 of the header is 2) whose -wal and -shm files are absent: the
 * read-only connection will create them and, not being allowed to checkpoint, leave them behind, so they are
 * swept after it closes (sweepCompanions).
 */
async function companionsWouldBeLeft(file: string, header: Buffer): Promise<boolean> {
  if (header[18] !== 2) return false;
  const exists = (name: string) => fs.access(name).then(() => true, () => false);
  return !(await exists(`${file}-wal`)) && !(await exists(`${file}-shm`));
}

/**
 * The file exists, is a regular file and starts with the SQLite header (an empty file has no schema).
 * Returns the first 100 bytes (the database header).
 */
async function checkSqliteFile(file: string, migrate: string): Promise<Buffer> {
  let size: number;
  try {
    const stats = await fs.stat(file);
    if (!stats.isFile()) throw unusable(`${file} is not a database file (it is ${stats.isDirectory() ? "a directory" : "no regular file"}); name one with --db`);
    size = stats.size;
  } catch (error) {
    if (error instanceof SkillMetricsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw unusable(`No database at ${file}: run "${migrate}" to create one, or name an existing one with --db`);
    throw unusable(`Cannot open ${file}: ${(error as Error).message}`);
  }
  if (size === 0) throw unusable(`${file} is empty, without the skill-metrics schema: run "${migrate}" to create it`);
  const header = Buffer.alloc(100);
  const handle = await fs.open(file, "r").catch((error: Error) => {
    throw unusable(`Cannot open ${file}: ${error.message}`);
  });
  try {
    await handle.read(header, 0, header.length, 0);
  } finally {
    await handle.close();
  }
  if (!header.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
    throw unusable(`${file} is not a SQLite database; name a skill-metrics database with --db`);
  }
  return header;
}

/**
 * The database has exactly the migrations this version knows, applied. Closes the DataSource when not.
 */
async function checked(dataSource: DataSource, where: string, migrate: string): Promise<DataSource> {
  try {
    const known = SKILL_METRICS_MIGRATIONS.map((migration) => new migration().name ?? migration.name);
    let applied: string[];
    try {
      applied = ((await dataSource.query("SELECT name FROM migrations")) as { name: string }[]).map((row) => row.name);
    } catch {
      throw unusable(`${where} has no skill-metrics schema: run "${migrate}" if it is meant to hold metrics, or name another database`);
    }
    const newer = applied.filter((name) => !known.includes(name));
    if (newer.length > 0) {
      throw unusable(`${where} has a newer skill-metrics schema (migration ${newer[0]}): upgrade skill-metrics to read it`);
    }
    const pending = known.filter((name) => !applied.includes(name));
    if (applied.length === 0) {
      throw unusable(`${where} has no skill-metrics schema: run "${migrate}" if it is meant to hold metrics, or name another database`);
    }
    if (pending.length > 0) throw unusable(`${where} has an older skill-metrics schema: run "${migrate}" first`);
    return dataSource;
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

/**
 * Tables a reading command never writes: the executions (large), the migration log, and the annotations of
 * executions (read only; their foreign keys name execution_metrics, which a TEMP copy could not reach).
 */
const NEVER_WRITTEN = [
  "execution_metrics",
  "migrations",
  "execution_anomalies",
  "execution_reviews",
  "corrective_actions",
  "execution_learnings",
];

/**
 * Gives every other table of the file (skill_profiles and whatever the profile service keeps beside it) a
 * TEMP copy with the same definition, indexes and rows: unqualified names resolve to the temp schema first,
 * so a profile refresh lands in the copies, private to this connection, while the file stays as it was.
 */
async function shadowWritableTables(dataSource: DataSource): Promise<void> {
  const objects = (await dataSource.query(
    `SELECT type, name, tbl_name, sql FROM main.sqlite_master
     WHERE type IN ('table', 'index') AND sql IS NOT NULL AND tbl_name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
       AND tbl_name NOT IN (${NEVER_WRITTEN.map((name) => `'${name}'`).join(", ")})
     ORDER BY type DESC`,
  )) as { type: string; name: string; tbl_name: string; sql: string }[];
  for (const object of objects) {
    // "CREATE TABLE x" → "CREATE TEMP TABLE x"; "CREATE [UNIQUE] INDEX i ON x" → "… INDEX temp.i ON x".
    const sql =
      object.type === "table"
        ? object.sql.replace(/^CREATE TABLE/i, "CREATE TEMP TABLE")
        : object.sql.replace(/^(CREATE (?:UNIQUE )?INDEX )(?:IF NOT EXISTS )?/i, "$1temp.");
    await dataSource.query(sql);
    if (object.type === "table") {
      const name = `"${object.tbl_name.replace(/"/g, '""')}"`;
      await dataSource.query(`INSERT INTO temp.${name} SELECT * FROM main.${name}`);
    }
  }
}
