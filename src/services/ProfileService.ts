import type { DataSource } from "typeorm";
import { openReadSnapshot } from "../storage/read-snapshot";
import { serializeWrite } from "../storage/write-queue";
import { SkillProfile } from "../storage/entities/SkillProfile.entity";
import { type Dialect, dialectOf } from "../storage/dialect";
import { compareBytewise, type Query, queryFor, snapshotQuery } from "../storage/sql-support";
import {
  computeProfileRecords,
  profileScope,
  retrendRecords,
  scopeOfSkills,
  trendWindows,
} from "./profile-computation";
import {
  type ChangeMarker,
  ignoringReadOnly,
  isProfiled,
  markProfiled,
  readChangeMarkers,
} from "./profile-freshness";
import { readSkillTotals, storeRecounts, type TotalsRecount } from "./skill-totals";
import { type ProfileServiceOptions, resolveProfileOptions } from "./profile-options";
import { type ProfileRecord, readProfileRecords, writeProfileRecords } from "./profile-table";

export type { ProfileServiceOptions } from "./profile-options";

/** Most changed skills a refresh lists in its reads (an IN list); beyond, it recomputes every skill. */
const MAX_LISTED_SKILLS = 500;

/**
 * Computes SkillProfiles into the materialized `skill_profiles` table and reads them back.
 *
 * Definitions (the README's "Statistics" section points here and to statistics.ts):
 * - Every number is over the skill's **finished** executions (status success, failure or timeout); running rows
 *   are ignored. A skill with no finished execution has no profile.
 * - total_executions = finished count; success_rate = successful / total (null when total is 0).
 * - failure_categories: error_category → count over failure and timeout executions, a null category counted as
 *   "unknown"; keys sorted.
 * - mean/min/max_duration_ms over all finished executions; median/p95/p99 by linear interpolation between the
 *   closest ranks (numpy.percentile default, PostgreSQL percentile_cont); stddev_duration_ms is the sample
 *   standard deviation (n − 1) in two passes, 0 for one execution. See statistics.ts.
 * - total_api_calls and total_cost_usd are sums; mean_api_calls_per_execution and mean_cost_per_execution divide
 *   them by total_executions.
 * - mean_correctness_score (correctness_score), mean_quality_score (output_quality), mean_output_size_bytes and
 *   mean_user_satisfaction are means over the non-null values only, null when there are none.
 *   total_feedback_responses counts executions with user_feedback_received.
 * - latency_acceptable_rate = executions with latency_acceptable true / executions with latency_acceptable not
 *   null (those that had a latency budget, see tracking/latency-budget.ts); null when none had one.
 * - Trends compare the recent window [now − W, now) with the previous one [now − 2W, now − W), by started_at,
 *   W = trendWindowMillis (default 7 days), now = the clock at refresh (= calculated_at). Both windows need at
 *   least trendMinSample finished executions (default 20), else all three trends are null.
 *   getting_faster: recent median duration < previous median × (1 − trendThreshold) (default 10%);
 *   getting_cheaper: the same on the mean api_calls_cost_usd; success_rate_trend: "up"/"down" when the pooled
 *   two-proportion z-test of the windows' success rates is significant at 0.05 (two-sided), else "stable".
 *
 * Freshness: triggers on execution_metrics bump a per-skill change counter (`skill_changes.version`) on every
 * insert, update and delete, whoever writes (recorder, import, feedback, a raw statement, another process); a
 * refresh stores the version it read, in the same snapshot as the profile, as `profiled_version`, in the
 * transaction that writes the profile. A stored profile is current while the two are equal, so checking every
 * skill reads `skill_changes` and `skill_profiles` only: O(skills), whatever the number of executions.
 * {@link getSkillProfile} and {@link getSkillProfiles} refresh what is not current before answering. Trends are
 * as of calculated_at: time passing alone does not make a profile stale.
 *
 * Scale: the additive figures (counts, sums, means, failure categories, last_execution_at) come from running
 * totals the same triggers keep per skill (skill-totals.ts): a refresh reads one row per skill instead of adding
 * up every execution. An update or delete clears a skill's totals, and its next refresh recounts them in one
 * GROUP BY over the covering profile index and stores them back. Percentiles are index scans that stop at the
 * ranks they need; the trend windows are one covering range read per skill; the exact stddev pass (when the sums
 * are not accurate enough) reads the skills that need it. No execution row is loaded into JS. A refresh
 * recomputes the whole-history figures of the skills whose executions changed since their stored profile only
 * (their change markers tell); the others keep theirs, computed from the very same rows, and get new trends and
 * calculated_at.
 *
 * Files: profile-options.ts (options, defaults), skill-totals.ts (the running totals and their recount),
 * profile-computation.ts (the trend windows, percentiles and the computed records), profile-table.ts (the
 * skill_profiles columns and their upsert); this class orchestrates them.
 */
export class ProfileService {
  private readonly options: Required<ProfileServiceOptions>;
  private readonly dialect: Dialect;
  private readonly query: Query;

  constructor(
    private readonly dataSource: DataSource,
    options: ProfileServiceOptions = {},
  ) {
    this.options = resolveProfileOptions(options);
    this.dialect = dialectOf(dataSource);
    this.query = queryFor(dataSource, this.dialect);
  }

  /**
   * Recomputes the profile of `skillId`, or of every skill when it is omitted, and stores it (replacing the old
   * row; a skill without finished executions loses its row). Returns the stored profiles, sorted by skill_id.
   */
  async refresh(skillId?: string): Promise<SkillProfile[]> {
    const now = this.options.clock();
    const { records, markers, recounts } = await this.computeRecords(now, skillId);
    await this.inWriteTransaction(async (query) => {
      await writeProfileRecords(query, records, this.dialect, skillId);
      await ignoringReadOnly(async () => {
        await storeRecounts(query, recounts, this.dialect);
        await markProfiled(query, markers);
      });
    });
    if (skillId !== undefined) {
      const profile = await this.read(skillId);
      return profile ? [profile] : [];
    }
    return this.readAll();
  }

  /**
   * The stored profile of `skillId`, refreshed first when it is missing or not current (see the class TSDoc);
   * null when the skill has no finished execution.
   */
  async getSkillProfile(skillId: string): Promise<SkillProfile | null> {
    // Stored row first, marker second: a write committed between them shows in the marker, never the reverse.
    const stored = await this.read(skillId);
    const marker = (await readChangeMarkers(this.query, skillId)).get(skillId);
    if (marker === undefined && !stored) return null;
    // Current and no row: the skill had no finished execution at its last refresh (its writes bump the marker).
    if (isProfiled(marker)) return stored;
    return (await this.refresh(skillId))[0] ?? null;
  }

  /**
   * Every skill's profile, sorted by skill_id, refreshing the ones that are missing or not current first (each
   * on its own; when more than half are, all at once, which is one pass instead of many).
   */
  async getSkillProfiles(): Promise<SkillProfile[]> {
    const stored = await this.readAll();
    const markers = await readChangeMarkers(this.query);
    const stale = [...markers].filter(([, marker]) => !isProfiled(marker)).map(([id]) => id);
    // A row without a marker: no execution of that skill was ever written here; its refresh deletes the row.
    for (const profile of stored) if (!markers.has(profile.skillId)) stale.push(profile.skillId);
    if (stale.length === 0) return stored;
    if (stale.length > markers.size / 2) return this.refresh();
    for (const id of stale) await this.refresh(id);
    return this.readAll();
  }

  /**
   * The records of a refresh at `now`, from one consistent state of the database.
   *
   * Everything is read on one read snapshot, so a profile is one state: the markers, the stored profiles, the
   * running totals (and the recount of any skill whose totals an update or delete cleared), the trend windows,
   * then the exact deviations and percentiles, which need the counts.
   */
  private async computeRecords(
    now: Date,
    skillId?: string,
  ): Promise<{ records: ProfileRecord[]; markers: Map<string, ChangeMarker>; recounts: TotalsRecount[] }> {
    const scope = profileScope(now, this.options.trendWindowMillis, skillId);
    const snapshot = await openReadSnapshot(this.dataSource);
    try {
      const query = snapshotQuery(snapshot, this.dialect);
      // Read before the executions: on a snapshot that is not consistent, a write landing in between then leaves
      // the marker behind the profile (recomputed once more later), never ahead of it (stale taken as current).
      const markers = await readChangeMarkers(query, skillId);
      // Skills whose executions did not change since their stored profile keep its whole-history figures; the
      // totals and percentiles are read for the others only (every skill when more than MAX_LISTED_SKILLS changed).
      let unchanged = (await readProfileRecords(query, skillId)).filter((r) => isProfiled(markers.get(r.skill_id)));
      const kept = new Set(unchanged.map((r) => r.skill_id));
      const changed = [...markers.keys()].filter((id) => !kept.has(id));
      if (changed.length > MAX_LISTED_SKILLS) unchanged = [];
      const totalsScope = unchanged.length === 0 ? scope : changed.length === 0 ? null : scopeOfSkills(scope, changed);
      const totals = totalsScope
        ? await readSkillTotals(query, totalsScope)
        : { aggregates: [], categories: new Map<string, Record<string, number>>(), recounts: [] };
      const windows = await trendWindows(query, scope, this.options.trendMinSample);
      const records = await computeProfileRecords({
        query,
        now,
        aggregates: totals.aggregates,
        categories: totals.categories,
        windows,
        trendSettings: this.options,
      });
      records.push(...retrendRecords(now, unchanged, windows, this.options));
      return { records, markers, recounts: totals.recounts };
    } finally {
      await snapshot.close();
    }
  }

  /**
   * Runs `work` in one transaction, queued behind every other write on the DataSource (serializeWrite): the
   * sqlite driver shares one connection, so a statement issued while the recorder's transaction is open would
   * otherwise run inside it.
   */
  private inWriteTransaction(work: (query: Query) => Promise<void>): Promise<void> {
    return serializeWrite(this.dataSource, () =>
      this.dataSource.transaction((manager) => work(queryFor(manager, this.dialect))),
    );
  }

  private read(skillId: string): Promise<SkillProfile | null> {
    return this.dataSource.getRepository(SkillProfile).findOneBy({ skillId });
  }

  /** Every stored profile in byte order of skill_id on every database (see compareBytewise). */
  private async readAll(): Promise<SkillProfile[]> {
    const profiles = await this.dataSource.getRepository(SkillProfile).find();
    return profiles.sort((a, b) => compareBytewise(a.skillId, b.skillId));
  }
}
