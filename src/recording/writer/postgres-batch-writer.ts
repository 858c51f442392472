import type { Client } from "pg";
import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import { buildInsert, forEachStatement } from "../insert-statement";
import type { BatchWriter, PostgresWriterConfig } from "./writer-protocol";

/** TCP keepalive probes start after a connection has been idle this long (as for the collector's pool). */
const KEEP_ALIVE_INITIAL_DELAY_MILLIS = 30_000;
/** INSERT texts kept (by row count). */
const STATEMENTS_KEPT = 4;
/** How long closing waits for the server to close its side before the socket is destroyed. */
const END_GRACE_MILLIS = 1000;

/**
 * The writer thread's PostgreSQL side: one pg client of its own, each batch in one `BEGIN … COMMIT`, with the
 * collector's limits (connect timeout, server-side statement_timeout, client-side query_timeout).
 *
 * After a failure the server answered (a refused row, a cancelled statement) the transaction is rolled back on
 * the same connection. After any other failure — a timeout with no answer, a dropped socket, a failed
 * ROLLBACK — the connection is destroyed and the next batch connects afresh: pg leaves a statement that hit
 * query_timeout running on its connection, so reusing it would queue the next batch behind one the server may
 * never answer.
 */
export class PostgresBatchWriter implements BatchWriter {
  private client: Client | null = null;
  private readonly statements = new Map<number, string>();

  constructor(private readonly config: PostgresWriterConfig) {}

  async write(rows: readonly ExecutionMetricRow[]): Promise<void> {
    const client = await this.connect();
    try {
      await client.query("BEGIN");
      await forEachStatement(rows, "postgres", (n) => this.statementFor(n), (sql, parameters) => client.query(sql, parameters));
      await client.query("COMMIT");
    } catch (error) {
      await this.recover(client, error);
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client === null) return;
    const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    // A frozen server never closes its side: the socket is destroyed after a grace period.
    const timer = setTimeout(() => stream?.destroy(), END_GRACE_MILLIS);
    try {
      await client.end();
    } catch {
      // Already broken: nothing left to release.
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<Client> {
    if (this.client !== null) return this.client;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require("pg") as typeof import("pg");
    const { url, connectTimeoutMillis, statementTimeoutMillis, queryTimeoutMillis } = this.config;
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: connectTimeoutMillis,
      // pg sends statement_timeout and arms query_timeout only when they are not 0 (0: no limit).
      statement_timeout: statementTimeoutMillis,
      query_timeout: queryTimeoutMillis,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEP_ALIVE_INITIAL_DELAY_MILLIS,
    });
    // A connection lost while idle is reported as an event; without a listener it would end the thread.
    client.on("error", () => this.discard(client));
    this.client = client;
    try {
      await client.connect();
    } catch (error) {
      this.discard(client);
      throw error;
    }
    return client;
  }

  /**
   * After a failed write: ROLLBACK on a connection the server answered on (an error with a SQLSTATE, 57014 for
   * statement_timeout included), else destroy it.
   */
  private async recover(client: Client, error: unknown): Promise<void> {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      try {
        await client.query("ROLLBACK");
        return;
      } catch {
        // Fall through: the connection is not trusted any more.
      }
    }
    this.discard(client);
  }

  private discard(client: Client): void {
    if (this.client === client) this.client = null;
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => undefined);
  }

  /** The INSERT for `rowCount` rows; the texts of the last few sizes are kept (a group's last one varies). */
  private statementFor(rowCount: number): string {
    let sql = this.statements.get(rowCount);
    if (sql === undefined) {
      sql = buildInsert(rowCount, "postgres");
      if (this.statements.size >= STATEMENTS_KEPT) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(rowCount, sql);
    }
    return sql;
  }
}
