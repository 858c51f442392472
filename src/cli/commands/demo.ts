import { existsSync } from "node:fs";
import { runDemo } from "../../demo/run-demo";
import { type CliContext, integerOption, stringOption } from "../cli-context";
import { UsageError } from "../UsageError";
import { renderProfiles } from "./profile";

/** `skill-metrics demo [--executions N] [--seed N] [--db PATH [--force]]`. */
export async function demoCommand(context: CliContext): Promise<number> {
  if (stringOption(context, "db-url") !== undefined) throw new UsageError("demo records into a SQLite file; --db-url does not apply", "demo");
  const executions = integerOption(context, "executions", 3000, 1, 1_000_000, "demo");
  const seed = integerOption(context, "seed", 42, 0, 2 ** 32 - 1, "demo");
  // SKILL_METRICS_DB is ignored on purpose: the demo deletes its database first.
  const database = stringOption(context, "db");
  if (database !== undefined && existsSync(database) && !context.values.force) {
    throw new UsageError(`${database} exists and the demo would delete it; pass --force, or leave out --db to use demo_metrics.db`, "demo");
  }
  const started = Date.now();
  const result = await runDemo({ database, executions, seed });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  context.out.write(`Recorded ${result.executions} executions of ${result.profiles.length} skills in ${seconds} s into ${result.database}\n\n`);
  context.out.write(renderProfiles(result.profiles));
  context.out.write(
    `\nWrote:\n  ${result.files.csv}\n  ${result.files.json}\n  ${result.files.stats}\n  ${result.files.report}\n` +
      `\nNext: skill-metrics profile --db ${result.database}   ·   skill-metrics errors --skill llm_summarize --db ${result.database}\n`,
  );
  return 0;
}
