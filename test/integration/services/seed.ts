import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { validateMetricRecord } from "../../../src/validation/validate-record";

const FIXTURES = join(__dirname, "../../../fixtures");

/** The rows of fixtures/sample_executions/<name>.json, each validated into a stored row. */
export function fixtureRows(name: "success_cases" | "failure_cases" | "edge_cases"): ExecutionMetricRow[] {
  const plain: unknown[] = JSON.parse(readFileSync(join(FIXTURES, "sample_executions", `${name}.json`), "utf8"));
  return plain.map((p) => validateMetricRecord(p));
}

/** fixtures/expected_profiles/skill_profiles.json, as the numpy script wrote it. */
export function expectedProfiles(): {
  now: string;
  trend_window_days: number;
  trend_min_sample: number;
  trend_threshold: number;
  profiles: Record<string, unknown>[];
} {
  return JSON.parse(readFileSync(join(FIXTURES, "expected_profiles", "skill_profiles.json"), "utf8"));
}

/** Validates plain snake_case records (ids generated when missing) and stores them the way the recorder does. */
export async function seed(dataSource: DataSource, records: readonly object[]): Promise<ExecutionMetricRow[]> {
  const rows = records.map((r) => validateMetricRecord(r, { generateId: true }));
  await new SqlMetricStore(dataSource).insert(rows);
  return rows;
}

/** A finished execution record starting at `startedAt` (ISO) and lasting `durationMs`. */
export function finished(
  skillId: string,
  startedAt: string,
  durationMs: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const status = (extra.status as string | undefined) ?? "success";
  return {
    skill_id: skillId,
    started_at: startedAt,
    completed_at: new Date(Date.parse(startedAt) + Math.round(durationMs)).toISOString(),
    total_duration_ms: durationMs,
    error_occurred: status === "failure" || status === "timeout",
    ...extra,
    status,
  };
}

/** `base` plus `millis`, as ISO text. */
export function at(base: string, millis: number): string {
  return new Date(Date.parse(base) + millis).toISOString();
}

export const DAY = 24 * 60 * 60 * 1000;
