import type { DataSource, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { dialectOf } from "../storage/dialect";

/**
 * The plan of a SELECT, one line per row: SQLite's `EXPLAIN QUERY PLAN` details, or PostgreSQL's `EXPLAIN`
 * text (without ANALYZE: nothing is run). What the tests read to prove that a page walks an index in page
 * order without a sort.
 */
export async function explainPlan<T extends ObjectLiteral>(dataSource: DataSource, builder: SelectQueryBuilder<T>): Promise<string[]> {
  const [sql, params] = builder.getQueryAndParameters();
  if (dialectOf(dataSource) === "postgres") {
    const rows: { "QUERY PLAN": string }[] = await dataSource.query(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r["QUERY PLAN"]);
  }
  const rows: { detail: string }[] = await dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  return rows.map((r) => r.detail);
}
