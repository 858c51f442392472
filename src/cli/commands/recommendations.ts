import type { Recommendation } from "../../services/RecommendationService";
import { type CliContext, stringOption } from "../cli-context";
import { withReader } from "../metrics-reader";

/** `skill-metrics recommendations [--skill S] [--json]`: getRecommendations, read-only. */
export async function recommendationsCommand(context: CliContext): Promise<number> {
  const skill = stringOption(context, "skill");
  return withReader(context, async (metrics) => {
    if (skill !== undefined) await metrics.assertSkillExists(skill);
    const recommendations = await metrics.getRecommendations(skill === undefined ? {} : { skillId: skill });
    if (context.values.json) context.out.write(JSON.stringify(recommendations, null, 2) + "\n");
    else context.out.write(renderRecommendations(recommendations));
    return 0;
  });
}

/** The human form: one paragraph per recommendation (skill, kind, message), or a line saying there is none. */
export function renderRecommendations(recommendations: readonly Recommendation[]): string {
  if (recommendations.length === 0) return "No recommendations: no rule fired.\n";
  return recommendations.map((r) => `${r.skillId} [${r.kind}]\n  ${r.message}\n`).join("");
}
