import { existsSync } from "node:fs";
import type { ImportFormat } from "../../exchange/ImportService";
import { type CliContext, integerOption, stringOption, withCollector } from "../cli-context";
import { formatTable } from "../format-table";
import { createProgress } from "../progress-bar";
import { UsageError } from "../UsageError";

/** How many invalid-record lines the human report lists. */
const LISTED = 20;

/** `skill-metrics import FILE [--format F] [--strict] [--batch-size N] [--keep-formulas] [--json]`. */
export async function importCommand(context: CliContext): Promise<number> {
  if (context.positionals.length !== 1) throw new UsageError("import takes exactly one FILE", "import");
  const file = context.positionals[0];
  const format = stringOption(context, "format") as ImportFormat | undefined;
  if (format !== undefined && !["csv", "json", "ndjson"].includes(format)) {
    throw new UsageError(`--format must be csv, json or ndjson, got "${format}"`, "import");
  }
  if (format === undefined && !/\.(csv|json|ndjson|jsonl)$/i.test(file)) {
    throw new UsageError(`cannot tell the format of "${file}" from its extension; pass --format csv|json|ndjson`, "import");
  }
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`, "import");
  const batchSize = integerOption(context, "batch-size", 1000, 1, 100_000, "import");
  return withCollector(context, async (metrics) => {
    const progress = createProgress("import", context.err);
    let report;
    try {
      report = await metrics.import(file, {
        format,
        strict: Boolean(context.values.strict),
        batchSize,
        neutralizedFormulas: !context.values["keep-formulas"],
        onProgress: (read) => progress.update(read),
      });
    } finally {
      progress.finish();
    }
    if (context.values.json) {
      context.out.write(JSON.stringify(report, null, 2) + "\n");
    } else {
      context.out.write(
        `Imported ${report.imported}, skipped ${report.skipped} (already present), invalid ${report.invalidRecords}.\n`,
      );
      if (report.invalid.length > 0) {
        const rows = report.invalid.slice(0, LISTED).map((i) => [String(i.line), i.field, i.rule, i.message]);
        context.out.write(formatTable(["line", "field", "rule", "reason"], rows, new Set([0])));
        if (report.invalid.length > LISTED) context.out.write(`… and ${report.invalid.length - LISTED} more (use --json for all).\n`);
      }
      if (report.ignoredColumns.length > 0) {
        context.out.write(`Ignored columns that are not execution_metrics columns: ${report.ignoredColumns.join(", ")} (--strict refuses them).\n`);
      }
    }
    if (report.stopped) {
      const committed =
        report.stopped.lastRecordLine > 0 ? `the valid records up to line ${report.stopped.lastRecordLine} are committed` : "no record was committed";
      context.err.write(
        `skill-metrics: import stopped at line ${report.stopped.line}: ${report.stopped.message}; ${committed}. ` +
          `Repair the file and import it again: committed records are skipped.\n`,
      );
    }
    return report.invalidRecords > 0 || report.stopped ? 2 : 0;
  });
}
