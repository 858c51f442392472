import { anomalyToPlain } from "../../services/annotation-plain";
import type { ExecutionAnomaly } from "../../storage/entities/ExecutionAnomaly.entity";
import { annotationStatusOption, cellText } from "../annotation-status-option";
import { type CliContext, integerOption, stringOption } from "../cli-context";
import { cellNumber, formatTable } from "../format-table";
import { withReader } from "../metrics-reader";
import { readTimeRange } from "./export";

/**
 * `skill-metrics anomalies [--skill S] [--status open|resolved] [--detector D] [--kind K] [--from T] [--to T]
 * [--limit N] [--json]`: the newest anomalies (by their execution's start), read-only.
 */
export async function anomaliesCommand(context: CliContext): Promise<number> {
  const limit = integerOption(context, "limit", 100, 1, 10_000, "anomalies");
  const status = annotationStatusOption(context, "anomalies", undefined);
  const { from, to } = readTimeRange(context, "anomalies");
  return withReader(context, async (metrics) => {
    const page = await metrics.getAnomalies({
      skillId: stringOption(context, "skill"),
      detector: stringOption(context, "detector"),
      kind: stringOption(context, "kind"),
      status,
      from,
      to,
      limit,
    });
    if (context.values.json) {
      context.out.write(JSON.stringify(page.items.map(anomalyToPlain), null, 2) + "\n");
    } else if (page.items.length === 0) {
      context.out.write("No anomalies match.\n");
    } else {
      context.out.write(renderAnomalies(page.items));
      if (page.nextCursor !== null) context.out.write(`(the newest ${limit} shown; narrow with --from/--to or raise --limit)\n`);
    }
    return 0;
  });
}

/** One line per anomaly: when its execution started, what was found, and where it stands. */
export function renderAnomalies(anomalies: readonly ExecutionAnomaly[]): string {
  const headers = ["started at", "skill", "detector", "kind", "severity", "score", "status", "resolution", "execution", "anomaly"];
  const rows = anomalies.map((a) => [
    a.startedAt.toISOString(),
    cellText(a.skillId, 40),
    cellText(a.detector, 30),
    cellText(a.kind, 30),
    a.severity ?? "-",
    cellNumber(a.score, 3),
    a.status,
    cellText(a.resolution, 30),
    a.executionId,
    a.anomalyId,
  ]);
  return formatTable(headers, rows, new Set([5]));
}
