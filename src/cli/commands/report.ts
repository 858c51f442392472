import { type CliContext, requiredOption, stringOption, withCollector } from "../cli-context";
import { UsageError } from "../UsageError";
import { readTimeRange } from "./export";

/** `skill-metrics report --out FILE [--skill S --from T --to T]`: the self-contained HTML report. */
export async function reportCommand(context: CliContext): Promise<number> {
  const out = requiredOption(context, "out", "report");
  if (context.positionals.length > 0) throw new UsageError(`unexpected argument "${context.positionals[0]}"`, "report");
  const skillId = stringOption(context, "skill");
  if (skillId === "") throw new UsageError("--skill must not be empty", "report");
  const range = readTimeRange(context, "report");
  return withCollector(context, async (metrics) => {
    const result = await metrics.writeReport(out, { skillId, ...range });
    if (result.skills === 0) {
      context.err.write("skill-metrics: no skill matched; the report says there is nothing to show.\n");
      return 2;
    }
    context.out.write(`Wrote a report of ${result.skills} skill(s), ${result.executions} executions (${result.bytes} bytes) to ${out}\n`);
    return 0;
  });
}
