import type { ErrorAnalysis, ErrorGroup } from "../../services/MetricsQueryService";
import { type CliContext, integerOption, requiredOption } from "../cli-context";
import { withReader } from "../metrics-reader";
import { formatTable } from "../format-table";

/** `skill-metrics errors --skill S [--limit N] [--json]`: a skill's failures grouped by category and message. */
export async function errorsCommand(context: CliContext): Promise<number> {
  const skill = requiredOption(context, "skill", "errors");
  const limit = integerOption(context, "limit", 10, 1, 1000, "errors");
  return withReader(context, async (metrics) => {
    await metrics.assertSkillExists(skill);
    const analysis = await metrics.getErrorAnalysis(skill, { limit });
    if (context.values.json) context.out.write(JSON.stringify(analysis, null, 2) + "\n");
    else context.out.write(renderAnalysis(analysis));
    return 0;
  });
}

/** The human form: the failure count, then one table per grouping. */
export function renderAnalysis(analysis: ErrorAnalysis): string {
  const header = `${analysis.skillId}: ${analysis.totalFailures} failure(s) (status failure or timeout)\n`;
  if (analysis.totalFailures === 0) return header;
  return [header, section("By category", "category", analysis.byCategory), section("By message", "message", analysis.byMessage)].join("\n");
}

function section(title: string, keyName: string, groups: readonly ErrorGroup[]): string {
  const rows = groups.map((g) => [shorten(g.key ?? "(none)"), String(g.count), iso(g.firstSeenAt), iso(g.lastSeenAt), g.exampleExecutionId]);
  return `${title}:\n${formatTable([keyName, "count", "first seen", "last seen", "latest execution"], rows, new Set([1]))}`;
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? flat.slice(0, 59) + "…" : flat;
}
