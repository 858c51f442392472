import * as path from "node:path";
import type { DataSource, QueryRunner } from "typeorm";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { buildInsert, forEachStatement, type WriteDialect } from "../recording/insert-statement";
import { FileIdentityCheck } from "../recording/file-identity";
import type { MetricStore } from "../recording/MetricStore";
import { dialectOf } from "./dialect";
import { serializeWrite } from "./write-queue";

/**
 * Writes rows with hand-built multi-row INSERTs through a TypeORM DataSource, in one transaction per call.
 *
 * TypeORM's insert() spends most of its time on per-row entity metadata work (0.39x the raw driver); a
 * parameterized statement built once per batch size runs at ~0.9x. Rows whose execution_id is already stored
 * are skipped (ON CONFLICT DO NOTHING), so replays never duplicate.
 *
 * The transaction is never TypeORM's `transaction()`: after a failed COMMIT (disk full) TypeORM's sqlite query
 * runner could stay marked "in a transaction" with its ROLLBACK failure swallowed, and every later write went
 * into a savepoint that never committed — rows counted as written and lost. Here a failed write is followed
 * by a ROLLBACK and a proof that the connection is back in autocommit mode before anything else runs on it;
 * on PostgreSQL each write checks out its own pooled connection, and one that failed is discarded.
 *
 * On SQLite the DataSource's one connection is shared, so writes queue behind every other write on it (see
 * serializeWrite). This store is the recorder's for `:memory:` and for DataSources users pass in, and the
 * import's; the recorder of the collector's own SQLite file or PostgreSQL URL uses a writer thread instead
 * (WriterThreadStore).
 *
 * A SQLite file deleted (or replaced) while open is detected before each write: SQLite itself would go on
 * "committing" into the unlinked file, and those rows would vanish with the process. The write fails
 * instead, so the recorder spills the rows and the next start replays them into the new file.
 */
export class SqlMetricStore implements MetricStore {
  private readonly dialect: WriteDialect;
  private readonly statements = new Map<number, string>();
  private readonly file: FileIdentityCheck | null;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
    const filePath = sqliteFilePath(dataSource);
    this.file = filePath === null ? null : new FileIdentityCheck(filePath);
  }

  async insert(rows: readonly ExecutionMetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.dialect === "postgres") return this.insertPostgres(rows);
    await serializeWrite(this.dataSource, () => this.insertSqlite(rows));
  }

  private async insertSqlite(rows: readonly ExecutionMetricRow[]): Promise<void> {
    this.file?.check();
    await this.dataSource.query("BEGIN IMMEDIATE");
    try {
      await forEachStatement(rows, "sqlite", (n) => this.statementFor(n), (sql, parameters) => this.dataSource.query(sql, parameters));
      await this.dataSource.query("COMMIT");
    } catch (error) {
      await this.restoreAutocommit();
      throw error;
    }
  }

  /**
   * After a failed write: roll back (SQLite may already have, e.g. after SQLITE_FULL), then prove that no
   * transaction is left open — a BEGIN succeeds only in autocommit mode.
   */
  private async restoreAutocommit(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.dataSource.query("ROLLBACK").catch(() => undefined);
      try {
        await this.dataSource.query("BEGIN");
        await this.dataSource.query("ROLLBACK");
        return;
      } catch {
        // Still inside a transaction, or the connection is gone: roll back again.
      }
    }
  }

  private async insertPostgres(rows: readonly ExecutionMetricRow[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner("master");
    let failure: unknown;
    try {
      await runner.query("BEGIN");
      await forEachStatement(rows, "postgres", (n) => this.statementFor(n), (sql, parameters) => runner.query(sql, parameters));
      await runner.query("COMMIT");
    } catch (error) {
      failure = error;
      await runner.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      await releaseRunner(runner, failure);
    }
  }

  private statementFor(rowCount: number): string {
    let sql = this.statements.get(rowCount);
    if (sql === undefined) {
      sql = buildInsert(rowCount, this.dialect);
      this.statements.set(rowCount, sql);
    }
    return sql;
  }
}

/**
 * Returns the runner's connection to the pool; after a failure the connection is destroyed instead (pg-pool
 * does not hand out a client released with an error), so a broken or half-open connection is never reused.
 */
async function releaseRunner(runner: QueryRunner, failure: unknown): Promise<void> {
  const discard = (runner as { releasePostgresConnection?: (error?: unknown) => Promise<void> }).releasePostgresConnection;
  try {
    if (failure !== undefined && typeof discard === "function") await discard.call(runner, failure);
    else await runner.release();
  } catch {
    // Releasing a connection that has already died: nothing left to clean.
  }
}

/** The absolute path of a file-backed SQLite DataSource, or null (PostgreSQL, :memory:, URI file names). */
export function sqliteFilePath(dataSource: DataSource): string | null {
  const database = (dataSource.options as { database?: unknown }).database;
  if (dialectOf(dataSource) !== "sqlite" || typeof database !== "string") return null;
  if (database === "" || database === ":memory:" || database.startsWith("file:")) return null;
  return path.resolve(database);
}
