import type { DataSource } from "typeorm";
import { SeededRandom } from "../../../src/demo/seeded-random";
import { MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { ProfileService } from "../../../src/services/ProfileService";
import type { SkillProfile } from "../../../src/storage/entities/SkillProfile.entity";
import { at, DAY, finished, seed } from "./seed";

/**
 * The running totals (migration SkillTotals) against the rows themselves, on one database: every write a user
 * makes — recorder inserts, feedback, retention deletes, raw updates of durations, running rows finished later, a
 * skill emptied — followed by a refresh whose profiles must equal what this file computes from the stored rows
 * (read back with a plain SELECT; no SDK code in the expectation). Used by the sdk (SQLite) and postgres suites.
 */

const NOW = "2026-06-15T12:00:00.000Z";

/**
 * `count` finished records of `skillId` over the 30 days before NOW, durations in [baseMs, baseMs·(1 + spread)),
 * every optional column sometimes null.
 */
export function records(skillId: string, count: number, seedValue: number, baseMs: number, spread = 1): Record<string, unknown>[] {
  const random = new SeededRandom(seedValue);
  const next = () => random.next();
  const categories = ["api_error", "timeout", null, "validation_error"];
  return Array.from({ length: count }, (_, i) => {
    const roll = next();
    const status = roll < 0.1 ? "failure" : roll < 0.14 ? "timeout" : "success";
    return finished(skillId, at(NOW, -Math.floor(next() * 30 * DAY) - 1), baseMs + next() * baseMs * spread + i * 1e-3, {
      status,
      error_category: status === "success" ? null : categories[Math.floor(next() * categories.length)],
      api_calls_count: Math.floor(next() * 5),
      api_calls_cost_usd: next() * 0.01,
      correctness_score: next() < 0.3 ? null : next(),
      output_quality: next() < 0.5 ? null : next(),
      output_size_bytes: next() < 0.2 ? null : Math.floor(next() * 10_000),
      latency_acceptable: next() < 0.5 ? null : next() < 0.8,
    });
  });
}

interface StoredRow {
  skill_id: string;
  status: string;
  started_at: string;
  total_duration_ms: number | null;
  api_calls_count: number | string;
  api_calls_cost_usd: number;
  correctness_score: number | null;
  output_quality: number | null;
  output_size_bytes: number | null;
  user_feedback_received: unknown;
  user_satisfaction: number | null;
  latency_acceptable: unknown;
  error_category: string | null;
}

const truthy = (value: unknown) => value === true || value === 1;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const meanOf = (values: (number | null)[]) => {
  const present = values.filter((v): v is number => v !== null).map(Number);
  return present.length === 0 ? null : sum(present) / present.length;
};

/** What every profile must hold, from the stored rows by plain arithmetic. */
async function expectedFromRows(dataSource: DataSource): Promise<Map<string, Record<string, unknown>>> {
  const rows: StoredRow[] = await dataSource.query(
    `SELECT skill_id, status, started_at, total_duration_ms, api_calls_count, api_calls_cost_usd, correctness_score,
       output_quality, output_size_bytes, user_feedback_received, user_satisfaction, latency_acceptable, error_category
     FROM execution_metrics WHERE status <> 'running'`,
  );
  const bySkill = new Map<string, StoredRow[]>();
  for (const row of rows) bySkill.set(row.skill_id, [...(bySkill.get(row.skill_id) ?? []), row]);
  const expected = new Map<string, Record<string, unknown>>();
  for (const [skillId, list] of bySkill) {
    const durations = list.map((r) => Number(r.total_duration_ms));
    const mean = sum(durations) / durations.length;
    const categories: Record<string, number> = {};
    for (const r of list.filter((r) => r.status !== "success")) {
      const key = r.error_category ?? "unknown";
      categories[key] = (categories[key] ?? 0) + 1;
    }
    const budgeted = list.filter((r) => r.latency_acceptable !== null);
    expected.set(skillId, {
      totalExecutions: list.length,
      successfulExecutions: list.filter((r) => r.status === "success").length,
      failedExecutions: list.filter((r) => r.status === "failure").length,
      timeoutExecutions: list.filter((r) => r.status === "timeout").length,
      meanDurationMs: mean,
      stddevDurationMs:
        list.length < 2 ? 0 : Math.sqrt(sum(durations.map((d) => (d - mean) ** 2)) / (durations.length - 1)),
      minDurationMs: Math.min(...durations),
      maxDurationMs: Math.max(...durations),
      totalApiCalls: sum(list.map((r) => Number(r.api_calls_count))),
      totalCostUsd: sum(list.map((r) => Number(r.api_calls_cost_usd))),
      meanCorrectnessScore: meanOf(list.map((r) => r.correctness_score)),
      meanQualityScore: meanOf(list.map((r) => r.output_quality)),
      meanOutputSizeBytes: meanOf(list.map((r) => r.output_size_bytes)),
      totalFeedbackResponses: list.filter((r) => truthy(r.user_feedback_received)).length,
      meanUserSatisfaction: meanOf(list.map((r) => r.user_satisfaction)),
      latencyAcceptableRate:
        budgeted.length === 0 ? null : budgeted.filter((r) => truthy(r.latency_acceptable)).length / budgeted.length,
      failureCategories: Object.fromEntries(Object.entries(categories).sort(([a], [b]) => (a < b ? -1 : 1))),
      lastExecutionAt: list.map((r) => r.started_at).sort().at(-1),
    });
  }
  return expected;
}

/**
 * Every field of every profile equal to the rows' figures, and no other profile. Numbers to 1e-11 relative: the
 * one-pass variance is within ~2e-12 (README, Statistics); everything else is far closer.
 */
export async function expectProfilesMatchRows(dataSource: DataSource, profiles: SkillProfile[]): Promise<void> {
  const expected = await expectedFromRows(dataSource);
  expect(profiles.map((p) => p.skillId).sort()).toEqual([...expected.keys()].sort());
  for (const profile of profiles) {
    const want = expected.get(profile.skillId)!;
    for (const [field, value] of Object.entries(want)) {
      let actual: unknown = profile[field as keyof SkillProfile];
      if (actual instanceof Date) actual = actual.toISOString();
      if (typeof value === "number" && typeof actual === "number" && !Number.isSafeInteger(value)) {
        const scale = Math.max(Math.abs(value), 1e-300);
        expect({ field, skill: profile.skillId, close: Math.abs(actual - value) / scale <= 1e-11 }).toEqual({
          field,
          skill: profile.skillId,
          close: true,
        });
      } else {
        expect({ field, skill: profile.skillId, value: actual }).toEqual({ field, skill: profile.skillId, value });
      }
    }
  }
}

/** Whether every skill's stored running totals are exact (no recount pending). */
export async function totalsExact(dataSource: DataSource): Promise<boolean[]> {
  const rows: { totals_exact: unknown }[] = await dataSource.query(`SELECT totals_exact FROM skill_changes ORDER BY skill_id`);
  return rows.map((r) => truthy(r.totals_exact));
}

/** The scenario; `dataSource` is a freshly migrated, empty database. */
export async function runRunningTotalsScenario(dataSource: DataSource): Promise<void> {
  const profiles = new ProfileService(dataSource, { clock: () => new Date(NOW) });
  const queries = new MetricsQueryService(dataSource);
  // b's durations lie far from zero with a small spread: its one-pass variance is refused, the exact pass taken.
  await seed(dataSource, [...records("a", 150, 1, 50), ...records("b", 150, 2, 1e6, 0.01), ...records("c", 150, 3, 7)]);
  await expectProfilesMatchRows(dataSource, await profiles.refresh());
  expect(await totalsExact(dataSource)).toEqual([true, true, true]);

  // Feedback on a (an update), a retention delete on b, durations rewritten on c, running rows.
  const aIds: { execution_id: string }[] = await dataSource.query(
    `SELECT execution_id FROM execution_metrics WHERE skill_id = 'a' ORDER BY execution_id`,
  );
  for (const [i, { execution_id }] of aIds.slice(0, 6).entries()) {
    await queries.recordFeedback(execution_id, { userSatisfaction: 1 + (i % 5), correctnessScore: i / 10 });
  }
  await dataSource.query(
    `DELETE FROM execution_metrics WHERE skill_id = 'b' AND execution_id IN
       (SELECT execution_id FROM execution_metrics WHERE skill_id = 'b' ORDER BY started_at LIMIT 40)`,
  );
  await dataSource.query(
    `UPDATE execution_metrics SET total_duration_ms = total_duration_ms * 1000 WHERE skill_id = 'c' AND execution_id IN
       (SELECT execution_id FROM execution_metrics WHERE skill_id = 'c' ORDER BY execution_id LIMIT 3)`,
  );
  const running = { skill_id: "c", started_at: at(NOW, -DAY), status: "running" };
  // Valid values too large to add without risking an overflow (a duration whose square nears 1e300, a cost of
  // 1e295): stored all the same, never failing the insert; their skill is recounted from the rows.
  const started = at(NOW, -2 * DAY);
  const huge = [
    { skill_id: "e", status: "success", started_at: started, completed_at: started, total_duration_ms: 1e150 },
    { ...finished("e", started, 5), api_calls_cost_usd: 1e295 },
    finished("e", started, 7),
  ];
  await seed(dataSource, [running, ...records("a", 40, 4, 50), ...records("d", 60, 5, 3), ...huge]);
  expect(await totalsExact(dataSource)).toEqual([false, false, false, true, false]);
  await expectProfilesMatchRows(dataSource, await profiles.refresh());
  // The recounts were stored: the next refresh reads the totals again.
  expect(await totalsExact(dataSource)).toEqual([true, true, true, true, true]);

  // A running row finished later (an update), inserts after the recount, one skill emptied by deletes.
  await dataSource.query(
    `UPDATE execution_metrics SET status = 'success', completed_at = started_at, total_duration_ms = 11
     WHERE status = 'running'`,
  );
  await seed(dataSource, [...records("b", 25, 6, 1e6, 0.01), ...records("c", 5, 7, 7)]);
  await dataSource.query(`DELETE FROM execution_metrics WHERE skill_id = 'd'`);
  await expectProfilesMatchRows(dataSource, await profiles.getSkillProfiles());
  expect((await profiles.getSkillProfiles()).map((p) => p.skillId)).toEqual(["a", "b", "c", "e"]);
  await expectProfilesMatchRows(dataSource, await profiles.refresh());
}

/**
 * Rows whose sums would overflow a double (two costs of 1.5e308, durations whose squares pass 1e308) are stored
 * all the same: the totals never add them (PostgreSQL would raise an overflow error and fail the insert; SQLite
 * would put a NaN into a NOT NULL column), and the skill is left to recount.
 */
export async function expectOverflowingRowsStored(dataSource: DataSource): Promise<void> {
  const started = at(NOW, -DAY);
  const row = (durationMs: number, cost: number) => ({
    skill_id: "huge",
    status: "success",
    started_at: started,
    completed_at: started,
    total_duration_ms: durationMs,
    api_calls_cost_usd: cost,
  });
  await seed(dataSource, [row(1e300, 1.5e308), row(1.7e308, 1.5e308)]);
  const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM execution_metrics WHERE skill_id = 'huge'`);
  expect(Number(n)).toBe(2);
  expect(await totalsExact(dataSource)).toEqual([false]);
}
