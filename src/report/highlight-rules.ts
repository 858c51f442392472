import type { SkillProfile } from "../storage/entities/SkillProfile.entity";

/**
 * Which skills the report highlights, and why. Both rules read the stored SkillProfiles, so a highlight agrees
 * with the numbers printed next to it.
 *
 * - failing: success_rate < {@link FAILING_SUCCESS_RATE} (0.9).
 * - slow: p95_duration_ms > {@link SLOW_P95_FACTOR} (2) × the median of the p95_duration_ms of every profiled
 *   skill (the median over skills, the middle value, or the mean of the two middle values). A skill is slow
 *   relative to its peers: with a single skill nothing is slow.
 */

/** A success rate below this marks a skill as failing. */
export const FAILING_SUCCESS_RATE = 0.9;

/** A p95 above this multiple of the median of all skills' p95 marks a skill as slow. */
export const SLOW_P95_FACTOR = 2;

/** Why a skill is highlighted; both false means it is not. */
export interface Highlight {
  readonly failing: boolean;
  readonly slow: boolean;
}

/** Decides the highlights of `profiles`, judging "slow" against `peers` (every profiled skill). */
export function highlightSkills(
  profiles: readonly SkillProfile[],
  peers: readonly SkillProfile[] = profiles,
): Map<string, Highlight> {
  const reference = medianOf(peers.map((p) => p.p95DurationMs).filter((v): v is number => v !== null));
  const result = new Map<string, Highlight>();
  for (const p of profiles) {
    result.set(p.skillId, {
      failing: p.successRate !== null && p.successRate < FAILING_SUCCESS_RATE,
      slow: reference !== null && p.p95DurationMs !== null && p.p95DurationMs > SLOW_P95_FACTOR * reference,
    });
  }
  return result;
}

/** The median of a list of numbers: the middle value, or the mean of the two middle ones; null for none. */
export function medianOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
