import { SkillMetricsError } from "../../errors";
import { type CliContext, integerOption, requiredOption, withCollector } from "../cli-context";
import { formatTable } from "../format-table";

type ErrorAnalysisSource = { getErrorAnalysis?: (skillId: string, options: { limit: number }) => Promise<unknown> };

/** `skill-metrics errors --skill S [--limit N] [--json]`: the collector's error analysis, printed. */
export async function errorsCommand(context: CliContext): Promise<number> {
  const skill = requiredOption(context, "skill", "errors");
  const limit = integerOption(context, "limit", 10, 1, 10_000, "errors");
  return withCollector(context, async (metrics) => {
    const source = metrics as unknown as ErrorAnalysisSource;
    if (typeof source.getErrorAnalysis !== "function") {
      throw new SkillMetricsError("Error analysis is not available in this build of skill-metrics.");
    }
    const analysis = await source.getErrorAnalysis.call(metrics, skill, { limit });
    if (context.values.json) context.out.write(JSON.stringify(analysis, null, 2) + "\n");
    else context.out.write(renderAnalysis(analysis));
    return 0;
  });
}

/**
 * Renders an analysis object without depending on its exact shape: scalar fields as `name: value` lines,
 * arrays of objects as tables, nested objects (category → count maps) as two-column tables.
 */
export function renderAnalysis(analysis: unknown): string {
  if (analysis === null || typeof analysis !== "object") return `${JSON.stringify(analysis)}\n`;
  const lines: string[] = [];
  const sections: string[] = [];
  for (const [key, value] of Object.entries(analysis as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      if (value.length === 0) {
        sections.push(`${key}: none\n`);
        continue;
      }
      const objects = value.filter((v): v is Record<string, unknown> => v !== null && typeof v === "object");
      const headers = [...new Set(objects.flatMap((o) => Object.keys(o)))];
      const rows = objects.map((o) => headers.map((h) => cell(o[h])));
      sections.push(`${key}:\n${formatTable(headers, rows)}`);
    } else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      const rows = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, cell(v)]);
      sections.push(`${key}:\n${formatTable(["key", "value"], rows, new Set([1]))}`);
    } else lines.push(`${key}: ${cell(value)}`);
  }
  return [lines.join("\n") + (lines.length ? "\n" : ""), ...sections].filter((s) => s !== "").join("\n");
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 80 ? flat.slice(0, 79) + "…" : flat;
}
