import type { Writable } from "node:stream";
import { assertNotDatabaseFile } from "../../exchange/database-destination-guard";
import { type CliContext, requiredOption, stringOption } from "../cli-context";
import { withReader } from "../metrics-reader";
import { UsageError } from "../UsageError";
import { readTimeRange } from "./export";

/** `skill-metrics report --out FILE [--skill S --from T --to T]`: the self-contained HTML report. */
export async function reportCommand(context: CliContext): Promise<number> {
  const out = requiredOption(context, "out", "report");
  if (context.positionals.length > 0) throw new UsageError(`unexpected argument "${context.positionals[0]}"`, "report");
  const skillId = stringOption(context, "skill");
  if (skillId === "") throw new UsageError("--skill must not be empty", "report");
  const range = readTimeRange(context, "report");
  return withReader(context, async (metrics) => {
    const toStdout = out === "-";
    if (!toStdout && metrics.databaseFile !== null) await assertNotDatabaseFile(out, metrics.databaseFile);
    const result = await metrics.writeReport(toStdout ? (context.out as Writable) : out, { skillId, ...range });
    if (result.skills === 0) {
      context.err.write("skill-metrics: no skill matched; the report says there is nothing to show.\n");
      return 2;
    }
    (toStdout ? context.err : context.out).write(
      `Wrote a report of ${result.skills} skill(s), ${result.executions} executions (${result.bytes} bytes) to ${toStdout ? "standard output" : out}\n`,
    );
    return 0;
  });
}
