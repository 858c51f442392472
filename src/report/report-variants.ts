import type { DataSource } from "typeorm";
import { type MetricComparison, type VariantComparison, VariantComparisonService } from "../services/VariantComparisonService";
import { escapeHtml } from "./report-html";

/**
 * The comparisons of each section skill's variants in the report's range (each bound optional, ISO text): for a
 * skill with at least two variants, every other variant against the one with the most executions (the
 * incumbent), by compareVariants at 0.05. Skills with fewer than two variants are absent from the map (one
 * GROUP BY each, nothing more, the usual case).
 */
export async function loadSkillVariantComparisons(
  dataSource: DataSource,
  skillIds: ReadonlySet<string>,
  range: { from?: string; to?: string },
): Promise<Map<string, VariantComparison[]>> {
  const service = new VariantComparisonService(dataSource);
  const result = new Map<string, VariantComparison[]>();
  for (const skillId of [...skillIds].sort()) {
    const variants = await service.listVariants(skillId, range);
    if (variants.length < 2) continue;
    const [incumbent, ...others] = variants;
    const comparisons: VariantComparison[] = [];
    for (const other of others) {
      comparisons.push(await service.compareVariants(skillId, { baseline: incumbent.variant, candidate: other.variant, ...range }));
    }
    result.set(skillId, comparisons);
  }
  return result;
}

/** The "Variants" part of a skill's section: one small table per candidate against the incumbent. */
export function variantsHtml(comparisons: readonly VariantComparison[]): string {
  const parts = ["<h3>Variants</h3>"];
  for (const c of comparisons) {
    parts.push(
      `<p class="note">Variant “${escapeHtml(c.candidate)}” against “${escapeHtml(c.baseline)}” (the variant with the most executions), ` +
        `two-sided tests at ${c.alpha}: <strong>${escapeHtml(c.verdict)}</strong>.</p>`,
    );
    const rows = [c.duration, c.successRate, c.cost].map((m) =>
      [
        METRIC_NAMES[m.metric],
        format(m, m.baseline.value),
        String(m.baseline.n),
        format(m, m.candidate.value),
        String(m.candidate.n),
        m.relativeChange === null ? "—" : `${m.relativeChange >= 0 ? "+" : ""}${(m.relativeChange * 100).toFixed(1)}%`,
        m.pValue === null ? "—" : m.pValue < 1e-4 ? m.pValue.toExponential(2) : m.pValue.toFixed(4),
        m.verdict,
      ]
        .map((cell) => `<td>${escapeHtml(cell)}</td>`)
        .join(""),
    );
    parts.push(
      '<table class="variants"><thead><tr><th>metric</th><th>baseline</th><th>n</th><th>candidate</th><th>n</th>' +
        "<th>change</th><th>p-value</th><th>verdict</th></tr></thead>",
      `<tbody>${rows.map((r) => `<tr>${r}</tr>`).join("\n")}</tbody></table>`,
    );
  }
  return parts.join("\n");
}

const METRIC_NAMES: Record<MetricComparison["metric"], string> = {
  duration: "median duration (ms), Mann-Whitney U",
  success_rate: "success rate, two-proportion z",
  cost: "mean cost (USD), Welch t",
};

function format(m: MetricComparison, value: number | null): string {
  if (value === null) return "—";
  if (m.metric === "success_rate") return `${(value * 100).toFixed(1)}%`;
  if (m.metric === "duration") return value.toFixed(1);
  return value.toPrecision(4);
}
