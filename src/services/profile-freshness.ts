import { type Query, toNumber } from "../storage/sql-support";

/**
 * The change marker of one skill, a row of `skill_changes`: `version` counts the writes of its executions
 * (bumped by triggers on every insert, update and delete of execution_metrics, whoever the writer);
 * `profiledVersion` is the version its stored profile was computed at, null before its first refresh.
 */
export interface ChangeMarker {
  readonly version: number;
  readonly profiledVersion: number | null;
}

/** The markers of every skill, or of `skillId` alone: one read of `skill_changes`, never of execution rows. */
export async function readChangeMarkers(query: Query, skillId?: string): Promise<Map<string, ChangeMarker>> {
  const rows = await query<{ skill_id: string; version: unknown; profiled_version: unknown }>(
    `SELECT skill_id, version, profiled_version FROM skill_changes${skillId === undefined ? "" : " WHERE skill_id = ?"}`,
    skillId === undefined ? [] : [skillId],
  );
  return new Map(
    rows.map((r) => [
      r.skill_id,
      { version: toNumber(r.version), profiledVersion: r.profiled_version === null ? null : toNumber(r.profiled_version) },
    ]),
  );
}

/**
 * Whether the profile state of a skill is current: its executions have not been written since its last
 * refresh. A current skill without a stored profile had no finished execution at that refresh.
 */
export function isProfiled(marker: ChangeMarker | undefined): boolean {
  return marker !== undefined && marker.profiledVersion === marker.version;
}

/**
 * Records that the profiles just written were computed at `markers` (read in the same snapshot as the
 * profiles, before them). Run it in the transaction that writes the profiles: two refreshes then commit their
 * profile and its version together, so a marker never claims a profile newer than the one stored.
 *
 * A SQLite database opened read-only (the CLI's reading commands write refreshed profiles to a TEMP copy of
 * skill_profiles) refuses the update: see {@link ignoringReadOnly}.
 */
export async function markProfiled(query: Query, markers: ReadonlyMap<string, ChangeMarker>): Promise<void> {
  for (const [skillId, marker] of markers) {
    if (marker.profiledVersion === marker.version) continue;
    await query(`UPDATE skill_changes SET profiled_version = ? WHERE skill_id = ?`, [marker.version, skillId]);
  }
}

/**
 * Runs `work` (writes of markers and running totals), ignoring a read-only SQLite database's refusal: the
 * markers and totals then stay as they are, which only means the next reader recomputes those profiles again.
 */
export async function ignoringReadOnly(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!isReadOnlyRefusal(error)) throw error;
  }
}

/** SQLite's refusal to write through a read-only connection (the statement fails, the transaction goes on). */
function isReadOnlyRefusal(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code;
  return code === "SQLITE_READONLY" || /SQLITE_READONLY/.test(String((error as Error | null)?.message));
}
