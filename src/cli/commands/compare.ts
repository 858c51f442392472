import type { MetricComparison, VariantComparison } from "../../services/VariantComparisonService";
import { type CliContext, requiredOption, stringOption } from "../cli-context";
import { formatTable } from "../format-table";
import { withReader } from "../metrics-reader";
import { UsageError } from "../UsageError";
import { readTimeRange } from "./export";

/**
 * `skill-metrics compare --skill S --baseline A --candidate B [--from T] [--to T] [--alpha X] [--json]`:
 * compareVariants of two variants of a skill, read-only.
 */
export async function compareCommand(context: CliContext): Promise<number> {
  const skill = requiredOption(context, "skill", "compare");
  const baseline = requiredOption(context, "baseline", "compare");
  const candidate = requiredOption(context, "candidate", "compare");
  const { from, to } = readTimeRange(context, "compare");
  const alphaText = stringOption(context, "alpha");
  const alpha = alphaText === undefined ? 0.05 : Number(alphaText);
  if (alphaText !== undefined && (alphaText.trim() === "" || !(alpha > 0 && alpha < 1))) {
    throw new UsageError(`--alpha must be a number between 0 and 1 (exclusive), got "${alphaText}"`, "compare");
  }
  return withReader(context, async (metrics) => {
    await metrics.assertSkillExists(skill);
    const comparison = await metrics.compareVariants(skill, { baseline, candidate, from, to, alpha });
    if (context.values.json) context.out.write(JSON.stringify(comparison, null, 2) + "\n");
    else context.out.write(renderComparison(comparison));
    return 0;
  });
}

/** The human form: a heading with the overall verdict, then one line per metric. */
export function renderComparison(c: VariantComparison): string {
  const range = c.from || c.to ? ` from ${c.from?.toISOString() ?? "the start"} to ${c.to?.toISOString() ?? "now"}` : "";
  const heading = `${c.skillId}: variant "${c.candidate}" against baseline "${c.baseline}"${range}, alpha ${c.alpha}: ${c.verdict}\n`;
  const headers = ["metric", "test", "baseline", "n", "candidate", "n", "difference", "change", "p-value", "verdict"];
  const rows = [c.duration, c.successRate, c.cost].map((m) => [
    m.metric === "success_rate" ? "success rate" : m.metric === "duration" ? "median duration (ms)" : "mean cost (USD)",
    TEST_NAMES[m.test],
    value(m, m.baseline.value),
    String(m.baseline.n),
    value(m, m.candidate.value),
    String(m.candidate.n),
    value(m, m.difference),
    m.relativeChange === null ? "-" : `${m.relativeChange >= 0 ? "+" : ""}${(m.relativeChange * 100).toFixed(1)}%`,
    m.pValue === null ? "-" : m.pValue < 1e-4 ? m.pValue.toExponential(2) : m.pValue.toFixed(4),
    m.verdict,
  ]);
  return heading + formatTable(headers, rows, new Set([2, 3, 4, 5, 6, 7, 8]));
}

const TEST_NAMES: Record<MetricComparison["test"], string> = {
  "mann-whitney-u": "Mann-Whitney U",
  "two-proportion-z": "two-proportion z",
  "welch-t": "Welch t",
};

function value(m: MetricComparison, v: number | null): string {
  if (v === null) return "-";
  if (m.metric === "success_rate") return v.toFixed(4);
  if (m.metric === "duration") return v.toFixed(1);
  return v.toPrecision(4);
}
