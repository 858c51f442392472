import { type ProfileScope, scopeOfSkills } from "./profile-computation";
import type { Dialect } from "../storage/dialect";
import { boolParam, FAILED, FINISHED, type Query, toNumber } from "../storage/sql-support";

/**
 * The running totals of each skill's finished executions, kept in `skill_changes` by the triggers of the
 * SkillTotals migration: every insert adds its row (counts, integer sums exactly, floating-point sums compensated:
 * the value is `x + x_c`); an update or delete clears `totals_exact`, and the next refresh recounts that skill from
 * its rows ({@link aggregatePass}) and stores the result back ({@link storeRecounts}), guarded by the version it read.
 * The failure categories live beside them in `skill_failure_categories`, kept the same way.
 */

/**
 * The additive aggregates of one skill's finished executions: a row of the recount, or of the running totals
 * (compensated sums already added up). Values as the driver returns them (PostgreSQL: bigint sums as strings).
 */
export interface AggregateRow {
  skill_id: string;
  total: unknown;
  successful: unknown;
  failed: unknown;
  /** Executions with a duration, and the sum of their durations and of its squares. */
  timed: unknown;
  sum_duration: unknown;
  sum_sq_duration: unknown;
  api_calls: unknown;
  cost: unknown;
  /** Each optional column: how many rows have a value, and their sum. */
  correctness_n: unknown;
  correctness_sum: unknown;
  quality_n: unknown;
  quality_sum: unknown;
  output_size_n: unknown;
  output_size_sum: unknown;
  feedback: unknown;
  satisfaction_n: unknown;
  satisfaction_sum: unknown;
  /** Executions with a latency budget (latency_acceptable not null), and those within it. */
  budgeted: unknown;
  within_budget: unknown;
  last_execution_at: string | null;
}

/** The aggregate fields of a skill's totals; `real` ones are compensated sums with an `_c` companion column. */
const TOTAL_FIELDS = [
  ["total", "count"],
  ["successful", "count"],
  ["failed", "count"],
  ["timed", "count"],
  ["sum_duration", "real"],
  ["sum_sq_duration", "real"],
  ["api_calls", "count"],
  ["cost", "real"],
  ["correctness_n", "count"],
  ["correctness_sum", "real"],
  ["quality_n", "count"],
  ["quality_sum", "real"],
  ["output_size_n", "count"],
  ["output_size_sum", "count"],
  ["feedback", "count"],
  ["satisfaction_n", "count"],
  ["satisfaction_sum", "count"],
  ["budgeted", "count"],
  ["within_budget", "count"],
  ["last_execution_at", "text"],
] as const satisfies readonly (readonly [keyof AggregateRow, "count" | "real" | "text"])[];

/** Most skills a recount names in an IN list. */
const MAX_LISTED_DIRTY = 500;

/** What one skill's recount found, to be stored back while the skill's version is still `version`. */
export interface TotalsRecount {
  readonly skillId: string;
  readonly version: number;
  /** Undefined when the skill has no finished execution left. */
  readonly aggregate: AggregateRow | undefined;
  readonly categories: Readonly<Record<string, number>>;
}

/** The aggregates of a refresh's skills, and the recounts it made. */
export interface SkillTotals {
  /** One row per skill with finished executions, in skill_id order of the reads. */
  readonly aggregates: AggregateRow[];
  /** skill → { category → count }, keys sorted. */
  readonly categories: Map<string, Record<string, number>>;
  readonly recounts: TotalsRecount[];
}

/**
 * The aggregates and failure categories of the skills of `scope`: read from the running totals where they are
 * exact (one row per skill), recounted from the execution rows for the skills whose totals an update or delete
 * cleared (or which predate the totals). Reads through `query` (a read snapshot's), so both agree with the rows the
 * rest of the refresh reads.
 */
export async function readSkillTotals(query: Query, scope: ProfileScope): Promise<SkillTotals> {
  const columns = TOTAL_FIELDS.flatMap(([name, kind]) => (kind === "real" ? [name, `${name}_c`] : [name]));
  const rows = await query<Record<string, unknown>>(
    `SELECT skill_id, version, totals_exact, ${columns.join(", ")} FROM skill_changes WHERE 1 = 1${scope.skillWhere}`,
    scope.skillParams,
  );
  const aggregates: AggregateRow[] = [];
  const dirty = new Map<string, number>();
  for (const row of rows) {
    const skillId = row.skill_id as string;
    if (!isTrue(row.totals_exact)) {
      dirty.set(skillId, toNumber(row.version));
      continue;
    }
    if (toNumber(row.total) === 0) continue;
    const aggregate: Record<string, unknown> = { skill_id: skillId };
    for (const [name, kind] of TOTAL_FIELDS) {
      aggregate[name] = kind === "real" ? toNumber(row[name]) + toNumber(row[`${name}_c`]) : row[name];
    }
    aggregates.push(aggregate as unknown as AggregateRow);
  }
  const exactSkills = new Set(aggregates.map((a) => a.skill_id));
  const categories =
    exactSkills.size === 0 ? new Map<string, Record<string, number>>() : await storedCategories(query, scope);
  // Stored categories of a skill being recounted may be stale; the recount's replace them.
  for (const skill of categories.keys()) if (!exactSkills.has(skill)) categories.delete(skill);

  const recounts: TotalsRecount[] = [];
  if (dirty.size > 0) {
    // Listed (an IN list) up to MAX_LISTED_DIRTY skills; beyond, the scope's every skill is read and the exact
    // ones are left out below (a bound list can exceed a statement's variables).
    const dirtyScope = dirty.size > MAX_LISTED_DIRTY ? scope : scopeOfSkills(scope, [...dirty.keys()]);
    const recounted = await aggregatePass(query, dirtyScope);
    const recountedCategories = await failureCategories(query, dirtyScope);
    const bySkill = new Map(recounted.map((a) => [a.skill_id, a]));
    for (const [skillId, version] of dirty) {
      const aggregate = bySkill.get(skillId);
      if (aggregate) aggregates.push(aggregate);
      const skillCategories = recountedCategories.get(skillId) ?? {};
      if (aggregate) categories.set(skillId, skillCategories);
      recounts.push({ skillId, version, aggregate, categories: skillCategories });
    }
  }
  return { aggregates, categories, recounts };
}

/** The recount: one GROUP BY over the covering profile index, for the skills of `scope`. */
export function aggregatePass(query: Query, scope: ProfileScope): Promise<AggregateRow[]> {
  return query<AggregateRow>(
    `SELECT skill_id, COUNT(*) AS total,
       SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS successful,
       SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END) AS failed,
       COUNT(total_duration_ms) AS timed, SUM(total_duration_ms) AS sum_duration,
       SUM(total_duration_ms * total_duration_ms) AS sum_sq_duration,
       SUM(api_calls_count) AS api_calls, SUM(api_calls_cost_usd) AS cost,
       COUNT(correctness_score) AS correctness_n, SUM(correctness_score) AS correctness_sum,
       COUNT(output_quality) AS quality_n, SUM(output_quality) AS quality_sum,
       COUNT(output_size_bytes) AS output_size_n, SUM(output_size_bytes) AS output_size_sum,
       SUM(CASE WHEN user_feedback_received THEN 1 ELSE 0 END) AS feedback,
       COUNT(user_satisfaction) AS satisfaction_n, SUM(user_satisfaction) AS satisfaction_sum,
       COUNT(latency_acceptable) AS budgeted,
       SUM(CASE WHEN latency_acceptable THEN 1 ELSE 0 END) AS within_budget,
       MAX(started_at) AS last_execution_at
     FROM execution_metrics WHERE ${FINISHED}${scope.skillWhere} GROUP BY skill_id`,
    scope.skillParams,
  );
}

/** The recount of the failure categories of the skills of `scope`: skill → { category → count }, keys sorted. */
async function failureCategories(query: Query, scope: ProfileScope): Promise<Map<string, Record<string, number>>> {
  const rows = await query<{ skill_id: string; category: string; n: unknown }>(
    `SELECT skill_id, COALESCE(error_category, 'unknown') AS category, COUNT(*) AS n FROM execution_metrics
     WHERE ${FAILED}${scope.skillWhere} GROUP BY skill_id, COALESCE(error_category, 'unknown')`,
    scope.skillParams,
  );
  return groupCategories(rows.map((r) => [r.skill_id, r.category, toNumber(r.n)]));
}

/** skill → { category → count } from skill_failure_categories, keys sorted. */
async function storedCategories(query: Query, scope: ProfileScope): Promise<Map<string, Record<string, number>>> {
  const rows = await query<{ skill_id: string; category: string; n: unknown }>(
    `SELECT skill_id, category, n FROM skill_failure_categories WHERE n > 0${scope.skillWhere}`,
    scope.skillParams,
  );
  return groupCategories(rows.map((r) => [r.skill_id, r.category, toNumber(r.n)]));
}

/** skill → { category → count } from (skill, category, count) triples, each skill's keys in code-unit order. */
function groupCategories(triples: Iterable<readonly [string, string, number]>): Map<string, Record<string, number>> {
  const bySkill = new Map<string, [string, number][]>();
  for (const [skill, category, n] of triples) {
    const list = bySkill.get(skill) ?? [];
    list.push([category, n]);
    bySkill.set(skill, list);
  }
  const result = new Map<string, Record<string, number>>();
  for (const [skill, list] of bySkill) {
    list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    result.set(skill, Object.fromEntries(list));
  }
  return result;
}

/**
 * Stores recounted totals, in the refresh's write transaction: each skill's only while its version is still the
 * one the recount read (a write since then bumped it and cleared totals_exact again, so that skill is recounted
 * next time). A SQLite database opened read-only refuses the writes; the caller decides what that means.
 */
export async function storeRecounts(query: Query, recounts: readonly TotalsRecount[], dialect: Dialect): Promise<void> {
  const unchanged = "EXISTS (SELECT 1 FROM skill_changes WHERE skill_id = ? AND version = ?)";
  const assignments = TOTAL_FIELDS.flatMap(([name, kind]) => (kind === "real" ? [`${name} = ?`, `${name}_c = 0`] : [`${name} = ?`]));
  for (const { skillId, version, aggregate, categories } of recounts) {
    await query(`DELETE FROM skill_failure_categories WHERE skill_id = ? AND ${unchanged}`, [skillId, skillId, version]);
    for (const [category, n] of Object.entries(categories)) {
      await query(
        `INSERT INTO skill_failure_categories (skill_id, category, n) SELECT ?, ?, ? WHERE ${unchanged}`,
        [skillId, category, n, skillId, version],
      );
    }
    const values = TOTAL_FIELDS.map(([name, kind]) => {
      const value = aggregate?.[name] ?? null;
      return kind === "text" ? value : value === null ? 0 : toNumber(value);
    });
    await query(
      `UPDATE skill_changes SET ${assignments.join(", ")}, totals_exact = ? WHERE skill_id = ? AND version = ?`,
      [...values, boolParam(true, dialect), skillId, version],
    );
  }
}

/** A boolean column as either driver returns it (SQLite 0/1, PostgreSQL true/false). */
function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "t";
}
