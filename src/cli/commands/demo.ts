import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_DEMO_DIR, runDemo } from "../../demo/run-demo";
import { type CliContext, integerOption, stringOption } from "../cli-context";
import { UsageError } from "../UsageError";
import { renderProfiles } from "./profile";

/**
 * `skill-metrics demo [--dir DIR] [--executions N] [--seed N] [--db PATH] [--force]`.
 *
 * The demo writes only into its own folder (default ./skill-metrics-demo/): files the user has in the current
 * directory, such as an earlier metrics_export.csv or report.html, are never touched. A folder that exists and
 * is not empty is refused (exit 2) unless --force, which lets the demo replace its own file names in it.
 */
export async function demoCommand(context: CliContext): Promise<number> {
  if (stringOption(context, "db-url") !== undefined) throw new UsageError("demo records into a SQLite file; --db-url does not apply", "demo");
  const executions = integerOption(context, "executions", 3000, 1, 1_000_000, "demo");
  const seed = integerOption(context, "seed", 42, 0, 2 ** 32 - 1, "demo");
  const force = context.values.force === true;
  // SKILL_METRICS_DB is ignored on purpose: the demo deletes its database first.
  const database = stringOption(context, "db");
  if (database !== undefined && existsSync(database) && !force) {
    throw new UsageError(`${database} exists and the demo would delete it; pass --force, or leave out --db to use the demo folder's demo_metrics.db`, "demo");
  }
  const dir = stringOption(context, "dir") ?? DEFAULT_DEMO_DIR;
  const refusal = folderRefusal(dir, force);
  if (refusal !== null) {
    context.err.write(`skill-metrics: ${refusal}\n`);
    return 2;
  }
  const started = Date.now();
  const result = await runDemo({ database, executions, seed, outputDir: dir });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const live = result.executions - result.historyExecutions;
  context.out.write(
    `Recorded ${result.historyExecutions} executions of the past weeks and ${live} live ones of today ` +
      `(${result.profiles.length} skills, ${seconds} s) into ${result.database}\n\n`,
  );
  context.out.write(renderProfiles(result.profiles));
  const db = shellPath(result.database);
  context.out.write(
    `\nWrote:\n  ${result.files.csv}\n  ${result.files.json}\n  ${result.files.stats}\n  ${result.files.report}\n` +
      `\nNext (from this directory):\n` +
      `  open ${shellPath(result.files.report)} in a browser\n` +
      `  npx skill-metrics profile --db ${db}\n` +
      `  npx skill-metrics errors --skill llm_summarize --db ${db}\n` +
      `  npx skill-metrics export --format ndjson --out - --skill web_search --db ${db}\n`,
  );
  return 0;
}

/** Why the demo may not write into `dir`, or null when it may. */
function folderRefusal(dir: string, force: boolean): string | null {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) return `${dir} exists and is not a folder; pass --dir to choose another demo folder`;
  if (force || readdirSync(dir).length === 0) return null;
  return (
    `${path.resolve(dir)} already exists and is not empty: the demo would replace its demo_metrics.db, ` +
    `metrics_export.csv, metrics_export.json, stats.json and report.html. Pass --force to do so, or --dir to choose another folder`
  );
}

/** `file` as the user types it from the current directory: relative when inside it, quoted when it needs to be. */
function shellPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  const shown = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
  return /^[\w./@%+=:,-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
}
