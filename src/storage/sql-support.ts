import type { DataSource, EntityManager } from "typeorm";
import type { Dialect } from "./dialect";
import type { ReadSnapshot } from "./read-snapshot";

// The dialect is decided in dialect.ts alone; re-exported for the modules (and tests) that import it from here.
export { type Dialect, dialectOf } from "./dialect";

/**
 * Finished executions (success, failure, timeout). Written as `<> 'running'` rather than `IN (…)` on purpose:
 * the two are equal because status is validated to four values, but SQLite's planner (without ANALYZE) treats
 * `status IN (…)` as selective and walks IDX_execution_metrics_status with a table lookup per row, ~4x slower
 * than the covering profile index it picks for `<>` (measured on 1M rows, bench/profile-refresh.js).
 */
export const FINISHED = "status <> 'running'";

/**
 * Failed and timed-out executions. Here `IN (…)` is what we want: SQLite then reads the status index
 * (status, skill_id, error_category), which holds only the failures' entries in two ranges and covers the
 * failure-category counts.
 */
export const FAILED = "status IN ('failure', 'timeout')";

/** Runs SQL written with `?` placeholders; PostgreSQL gets them renumbered as `$1, $2, …`. */
export type Query = <T = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<T[]>;

/** A {@link Query} bound to a DataSource (or a transaction's EntityManager). */
export function queryFor(dataSource: DataSource | EntityManager, dialect: Dialect): Query {
  return async <T>(sql: string, params: readonly unknown[] = []) =>
    (await dataSource.query(inDialect(sql, dialect), params as unknown[])) as T[];
}

/** A {@link Query} reading a {@link ReadSnapshot}. */
export function snapshotQuery(snapshot: ReadSnapshot, dialect: Dialect): Query {
  return async <T>(sql: string, params: readonly unknown[] = []) =>
    (await snapshot.query(inDialect(sql, dialect), params as unknown[])) as T[];
}

/** SQL written with `?` placeholders, renumbered `$1, $2, …` for PostgreSQL. */
function inDialect(sql: string, dialect: Dialect): string {
  if (dialect !== "postgres") return sql;
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** A number from a driver value: PostgreSQL returns bigint and numeric aggregates as strings. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** Like {@link toNumber}, keeping null (an aggregate over no rows). */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** A boolean as the dialect binds it: SQLite stores 0/1. */
export function boolParam(value: boolean | null, dialect: Dialect): boolean | number | null {
  if (value === null) return null;
  return dialect === "sqlite" ? Number(value) : value;
}

/**
 * Byte order of the UTF-8 text: SQLite's BINARY collation, and PostgreSQL's "C". Lists the services sort in
 * JavaScript use it so that both databases give the same order: a PostgreSQL database created with a
 * linguistic collation (en_US.UTF-8, the usual default) orders `a-b`, `aa`, `Ab` otherwise.
 */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
