import type { SuccessRateTrend } from "../storage/entities/SkillProfile.entity";
import type { Dialect } from "../storage/dialect";
import { boolParam, type Query } from "../storage/sql-support";

/**
 * One computed row of the `skill_profiles` table, by column name: what a refresh computes for a skill before
 * it is written (the stored form, read back as a SkillProfile entity, has the same values).
 */
export interface ProfileRecord {
  readonly skill_id: string;
  /** ISO-8601 UTC. */
  readonly calculated_at: string;
  readonly last_execution_at: string | null;
  readonly total_executions: number;
  readonly successful_executions: number;
  readonly failed_executions: number;
  readonly timeout_executions: number;
  readonly success_rate: number | null;
  /** error_category → count, keys sorted. */
  readonly failure_categories: Readonly<Record<string, number>>;
  readonly mean_duration_ms: number | null;
  readonly median_duration_ms: number | null;
  readonly p95_duration_ms: number | null;
  readonly p99_duration_ms: number | null;
  readonly min_duration_ms: number | null;
  readonly max_duration_ms: number | null;
  readonly stddev_duration_ms: number | null;
  readonly total_api_calls: number;
  readonly mean_api_calls_per_execution: number | null;
  readonly total_cost_usd: number;
  readonly mean_cost_per_execution: number | null;
  readonly mean_correctness_score: number | null;
  readonly mean_quality_score: number | null;
  readonly mean_output_size_bytes: number | null;
  readonly total_feedback_responses: number;
  readonly mean_user_satisfaction: number | null;
  readonly getting_faster: boolean | null;
  readonly getting_cheaper: boolean | null;
  readonly success_rate_trend: SuccessRateTrend | null;
  /** Of the finished executions with a latency budget, the share within it; null when none had a budget. */
  readonly latency_acceptable_rate: number | null;
}

/** The columns of skill_profiles in the order the upsert binds them; skill_id (the key) first. */
const PROFILE_COLUMNS = [
  "skill_id",
  "calculated_at",
  "last_execution_at",
  "total_executions",
  "successful_executions",
  "failed_executions",
  "timeout_executions",
  "success_rate",
  "failure_categories",
  "mean_duration_ms",
  "median_duration_ms",
  "p95_duration_ms",
  "p99_duration_ms",
  "min_duration_ms",
  "max_duration_ms",
  "stddev_duration_ms",
  "total_api_calls",
  "mean_api_calls_per_execution",
  "total_cost_usd",
  "mean_cost_per_execution",
  "mean_correctness_score",
  "mean_quality_score",
  "mean_output_size_bytes",
  "total_feedback_responses",
  "mean_user_satisfaction",
  "getting_faster",
  "getting_cheaper",
  "success_rate_trend",
  "latency_acceptable_rate",
] as const satisfies readonly (keyof ProfileRecord)[];

/** Compile-time proof that PROFILE_COLUMNS names every field of ProfileRecord. */
type Unlisted = Exclude<keyof ProfileRecord, (typeof PROFILE_COLUMNS)[number]>;
const EVERY_FIELD_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;
void EVERY_FIELD_LISTED;

/** SQLite binds at most 32,766 variables per statement. */
const PROFILES_PER_STATEMENT = Math.floor(32766 / PROFILE_COLUMNS.length);

/** One record's bound values in PROFILE_COLUMNS order, as `dialect` stores them. */
function columnValues(record: ProfileRecord, dialect: Dialect): unknown[] {
  return PROFILE_COLUMNS.map((column) => {
    if (column === "failure_categories") return JSON.stringify(record.failure_categories);
    if (column === "getting_faster" || column === "getting_cheaper") return boolParam(record[column], dialect);
    return record[column];
  });
}

/**
 * Upserts `records` into skill_profiles (run it inside one write transaction). With `skillId`, a refresh of
 * that skill alone: no record deletes its row. Without, a refresh of every skill: rows of skills not among the
 * records (their executions were all deleted) are deleted.
 */
export async function writeProfileRecords(
  query: Query,
  records: readonly ProfileRecord[],
  dialect: Dialect,
  skillId?: string,
): Promise<void> {
  const columns = PROFILE_COLUMNS.map((c) => `"${c}"`).join(", ");
  const updates = PROFILE_COLUMNS.slice(1)
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(", ");
  const tuple = `(${PROFILE_COLUMNS.map(() => "?").join(", ")})`;
  for (let start = 0; start < records.length; start += PROFILES_PER_STATEMENT) {
    const chunk = records.slice(start, start + PROFILES_PER_STATEMENT);
    await query(
      `INSERT INTO skill_profiles (${columns}) VALUES ${chunk.map(() => tuple).join(", ")} ` +
        `ON CONFLICT ("skill_id") DO UPDATE SET ${updates}`,
      chunk.flatMap((record) => columnValues(record, dialect)),
    );
  }
  if (skillId !== undefined) {
    if (records.length === 0) await deleteProfileRow(query, skillId);
    return;
  }
  // Skills whose executions were all deleted since the last refresh.
  const kept = new Set(records.map((r) => r.skill_id));
  const stored = await query<{ skill_id: string }>(`SELECT skill_id FROM skill_profiles`);
  for (const { skill_id } of stored) {
    if (!kept.has(skill_id)) await deleteProfileRow(query, skill_id);
  }
}

/**
 * The stored rows of skill_profiles (of `skillId` alone when given) as records, read through `query` (a read
 * snapshot's, so that they match the change markers read there).
 */
export async function readProfileRecords(query: Query, skillId?: string): Promise<ProfileRecord[]> {
  const rows = await query<Record<string, unknown>>(
    `SELECT ${PROFILE_COLUMNS.map((c) => `"${c}"`).join(", ")} FROM skill_profiles` +
      (skillId === undefined ? "" : ` WHERE skill_id = ?`),
    skillId === undefined ? [] : [skillId],
  );
  const flag = (value: unknown) => (value === null || value === undefined ? null : Boolean(Number(value)));
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const column of PROFILE_COLUMNS) {
      const value = row[column];
      if (column === "failure_categories") record[column] = JSON.parse(String(value));
      else if (column === "getting_faster" || column === "getting_cheaper") record[column] = flag(value);
      else if (column === "skill_id" || column === "calculated_at" || column === "last_execution_at" || column === "success_rate_trend") {
        record[column] = value ?? null;
      } else record[column] = number(value);
    }
    return record as unknown as ProfileRecord;
  });
}

/** Deletes the stored profile of `skillId`. */
export async function deleteProfileRow(query: Query, skillId: string): Promise<void> {
  await query(`DELETE FROM skill_profiles WHERE skill_id = ?`, [skillId]);
}
