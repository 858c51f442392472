import type { Writable } from "node:stream";
import { toStoredInstant } from "../../model/iso-instant";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../model/execution-metric-columns";
import type { ExportFilter } from "../../exchange/metric-filter";
import { assertNotDatabaseFile } from "../../exchange/database-destination-guard";
import { type CliContext, requiredOption, stringOption } from "../cli-context";
import { withReader } from "../metrics-reader";
import { createProgress } from "../progress-bar";
import { UsageError } from "../UsageError";

const FORMATS = ["csv", "json", "ndjson", "stats"] as const;

/** `skill-metrics export --format F --out FILE|- [--skill S --from T --to T --status X] [--keep-formulas]`. */
export async function exportCommand(context: CliContext): Promise<number> {
  const format = (stringOption(context, "format") ?? "csv") as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`, "export");
  const out = requiredOption(context, "out", "export");
  if (context.positionals.length > 0) throw new UsageError(`unexpected argument "${context.positionals[0]}"`, "export");
  const filter = readFilter(context);
  if (format === "stats" && Object.keys(filter).length > 0) {
    throw new UsageError("--format stats exports every profile; --skill, --from, --to and --status do not apply", "export");
  }
  return withReader(context, async (metrics) => {
    // "-" is standard output; a path is checked not to be the database (or its -wal…) before it is opened.
    const toStdout = out === "-";
    if (!toStdout && metrics.databaseFile !== null) await assertNotDatabaseFile(out, metrics.databaseFile);
    const destination = toStdout ? (context.out as Writable) : out;
    const progress = createProgress(`export ${format}`, context.err);
    const onProgress = (done: number, total: number) => progress.update(done, total);
    try {
      const result =
        format === "stats"
          ? await metrics.exportStatsJson(destination, { end: false })
          : format === "csv"
            ? await metrics.exportCsv(destination, filter, { onProgress, neutralizeFormulas: !context.values["keep-formulas"], end: false })
            : await metrics.exportJson(destination, filter, { onProgress, format, end: false });
      progress.finish();
      const what = format === "stats" ? "skill profiles" : "executions";
      // With --out - the data is on standard output, so the summary goes to standard error.
      (toStdout ? context.err : context.out).write(`Wrote ${result.rows} ${what} (${result.bytes} bytes) to ${toStdout ? "standard output" : out}\n`);
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
    // The one strict reading (model/iso-instant.ts): "1", "March 2", 2026-02-30 and +010000-… are refused.
    const stored = toStoredInstant(text, { allowDateOnly: true });
    if (stored === null) {
      throw new UsageError(
        `--${name} must be an ISO-8601 date or time with a zone (2026-11-27, 2026-11-27T08:00:00Z) naming a real date in years 0000-9999, got "${text}"`,
        command,
      );
    }
    range[name] = stored;
  }
  return range;
}
