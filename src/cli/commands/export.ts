import { EXECUTION_STATUSES, type ExecutionStatus } from "../../model/execution-metric-columns";
import type { ExportFilter } from "../../exchange/metric-filter";
import { type CliContext, requiredOption, stringOption, withCollector } from "../cli-context";
import { createProgress } from "../progress-bar";
import { UsageError } from "../UsageError";

const FORMATS = ["csv", "json", "ndjson", "stats"] as const;

/** `skill-metrics export --format F --out FILE [--skill S --from T --to T --status X] [--keep-formulas]`. */
export async function exportCommand(context: CliContext): Promise<number> {
  const format = (stringOption(context, "format") ?? "csv") as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`, "export");
  const out = requiredOption(context, "out", "export");
  if (context.positionals.length > 0) throw new UsageError(`unexpected argument "${context.positionals[0]}"`, "export");
  const filter = readFilter(context);
  if (format === "stats" && Object.keys(filter).length > 0) {
    throw new UsageError("--format stats exports every profile; --skill, --from, --to and --status do not apply", "export");
  }
  return withCollector(context, async (metrics) => {
    const progress = createProgress(`export ${format}`, context.err);
    const onProgress = (done: number, total: number) => progress.update(done, total);
    try {
      const result =
        format === "stats"
          ? await metrics.exportStatsJson(out)
          : format === "csv"
            ? await metrics.exportCsv(out, filter, { onProgress, neutralizeFormulas: !context.values["keep-formulas"] })
            : await metrics.exportJson(out, filter, { onProgress, format });
      progress.finish();
      const what = format === "stats" ? "skill profiles" : "executions";
      context.out.write(`Wrote ${result.rows} ${what} (${result.bytes} bytes) to ${out}\n`);
      return 0;
    } finally {
      progress.finish();
    }
  });
}

function readFilter(context: CliContext): ExportFilter {
  const filter: ExportFilter = {};
  const skill = stringOption(context, "skill");
  if (skill !== undefined) {
    if (skill === "") throw new UsageError("--skill must not be empty", "export");
    filter.skillId = skill;
  }
  Object.assign(filter, readTimeRange(context, "export"));
  const status = stringOption(context, "status");
  if (status !== undefined) {
    if (!EXECUTION_STATUSES.includes(status as ExecutionStatus)) {
      throw new UsageError(`--status must be one of ${EXECUTION_STATUSES.join(", ")}, got "${status}"`, "export");
    }
    filter.status = status as ExecutionStatus;
  }
  return filter;
}

/** `--from` (inclusive) and `--to` (exclusive) as given, each checked to be an ISO-8601 date or time. */
export function readTimeRange(context: CliContext, command: string): { from?: string; to?: string } {
  const range: { from?: string; to?: string } = {};
  for (const name of ["from", "to"] as const) {
    const text = stringOption(context, name);
    if (text === undefined) continue;
    if (Number.isNaN(new Date(text).getTime())) {
      throw new UsageError(`--${name} must be an ISO-8601 date or time (2026-11-27, 2026-11-27T08:00:00Z), got "${text}"`, command);
    }
    range[name] = text;
  }
  return range;
}
