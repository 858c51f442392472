import type { SkillProfile } from "../../storage/entities/SkillProfile.entity";
import { profileToPlain } from "../../services/profile-plain";
import { NotFoundError } from "../../errors";
import { type CliContext, stringOption } from "../cli-context";
import { withReader } from "../metrics-reader";
import { cellNumber, formatTable } from "../format-table";

/** `skill-metrics profile [--skill S] [--json]`. */
export async function profileCommand(context: CliContext): Promise<number> {
  const skill = stringOption(context, "skill");
  return withReader(context, async (metrics) => {
    let profiles: SkillProfile[];
    if (skill !== undefined) {
      await metrics.assertSkillExists(skill);
      const one = await metrics.getSkillProfile(skill);
      if (!one) throw new NotFoundError(`No finished execution of skill "${skill}" is recorded, so it has no profile.`);
      profiles = [one];
    } else profiles = await metrics.getSkillProfiles();
    if (context.values.json) {
      context.out.write(JSON.stringify(profiles.map((p) => profileToPlain(metrics.dataSource, p)), null, 2) + "\n");
    } else if (profiles.length === 0) {
      context.out.write("No finished executions recorded yet.\n");
    } else {
      context.out.write(renderProfiles(profiles));
    }
    return 0;
  });
}

/** A profile with snake_case keys and ISO timestamps, as in stats.json (one conversion for both). */
export { profileToPlain };

const TREND: Record<string, string> = { up: "up", down: "down", stable: "stable" };

/** The profile table printed by `profile` and `demo`. */
export function renderProfiles(profiles: readonly SkillProfile[]): string {
  const headers = ["skill", "runs", "ok", "fail", "timeout", "success%", "p50 ms", "p95 ms", "p99 ms", "cost $", "$/run", "faster", "cheaper", "trend"];
  const rows = profiles.map((p) => [
    p.skillId,
    String(p.totalExecutions),
    String(p.successfulExecutions),
    String(p.failedExecutions),
    String(p.timeoutExecutions),
    cellNumber(p.successRate === null ? null : p.successRate * 100, 1),
    cellNumber(p.medianDurationMs, 1),
    cellNumber(p.p95DurationMs, 1),
    cellNumber(p.p99DurationMs, 1),
    cellNumber(p.totalCostUsd, 4),
    cellNumber(p.meanCostPerExecution, 5),
    p.gettingFaster === null ? "-" : p.gettingFaster ? "yes" : "no",
    p.gettingCheaper === null ? "-" : p.gettingCheaper ? "yes" : "no",
    p.successRateTrend === null ? "-" : (TREND[p.successRateTrend] ?? p.successRateTrend),
  ]);
  return formatTable(headers, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
}
