#!/usr/bin/env node
import "reflect-metadata";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigurationError, SkillMetricsError } from "../errors";
import type { CliContext } from "./cli-context";
import { USAGE } from "./usage";
import { UsageError } from "./UsageError";

type Options = NonNullable<ParseArgsConfig["options"]>;

/*
 * Commands are loaded when they run: loading TypeORM and the entities takes most of a second, which --help
 * and a mistyped option should not pay.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const migrateCommand = (c: CliContext) => (require("./commands/migrate") as typeof import("./commands/migrate")).migrateCommand(c);
const profileCommand = (c: CliContext) => (require("./commands/profile") as typeof import("./commands/profile")).profileCommand(c);
const errorsCommand = (c: CliContext) => (require("./commands/errors") as typeof import("./commands/errors")).errorsCommand(c);
const exportCommand = (c: CliContext) => (require("./commands/export") as typeof import("./commands/export")).exportCommand(c);
const importCommand = (c: CliContext) => (require("./commands/import") as typeof import("./commands/import")).importCommand(c);
const demoCommand = (c: CliContext) => (require("./commands/demo") as typeof import("./commands/demo")).demoCommand(c);
const reportCommand = (c: CliContext) => (require("./commands/report") as typeof import("./commands/report")).reportCommand(c);
const anomaliesCommand = (c: CliContext) => (require("./commands/anomalies") as typeof import("./commands/anomalies")).anomaliesCommand(c);
const reviewCommand = (c: CliContext) => (require("./commands/review") as typeof import("./commands/review")).reviewCommand(c);
const compareCommand = (c: CliContext) => (require("./commands/compare") as typeof import("./commands/compare")).compareCommand(c);
const recommendationsCommand = (c: CliContext) =>
  (require("./commands/recommendations") as typeof import("./commands/recommendations")).recommendationsCommand(c);
/* eslint-enable @typescript-eslint/no-require-imports */

/** The options every command takes. */
export const GLOBAL: Options = {
  db: { type: "string" },
  "db-url": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Each command: its own options (besides the global ones), whether it takes positionals, and its body. */
export const COMMANDS: Record<string, { options: Options; positionals: boolean; run: (context: CliContext) => Promise<number> }> = {
  migrate: { options: {}, positionals: false, run: migrateCommand },
  profile: { options: { skill: { type: "string" }, json: { type: "boolean" } }, positionals: false, run: profileCommand },
  errors: {
    options: { skill: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
    positionals: false,
    run: errorsCommand,
  },
  export: {
    options: {
      format: { type: "string" },
      out: { type: "string" },
      skill: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      status: { type: "string" },
      "keep-formulas": { type: "boolean" },
    },
    positionals: false,
    run: exportCommand,
  },
  import: {
    options: {
      format: { type: "string" },
      strict: { type: "boolean" },
      "batch-size": { type: "string" },
      "keep-formulas": { type: "boolean" },
      json: { type: "boolean" },
    },
    positionals: true,
    run: importCommand,
  },
  demo: {
    options: { dir: { type: "string" }, executions: { type: "string" }, seed: { type: "string" }, force: { type: "boolean" } },
    positionals: false,
    run: demoCommand,
  },
  report: {
    options: { out: { type: "string" }, skill: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
    positionals: false,
    run: reportCommand,
  },
  anomalies: {
    options: {
      skill: { type: "string" },
      status: { type: "string" },
      detector: { type: "string" },
      kind: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: false,
    run: anomaliesCommand,
  },
  review: {
    options: { skill: { type: "string" }, status: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
    positionals: false,
    run: reviewCommand,
  },
  compare: {
    options: {
      skill: { type: "string" },
      baseline: { type: "string" },
      candidate: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      alpha: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: false,
    run: compareCommand,
  },
  recommendations: { options: { skill: { type: "string" }, json: { type: "boolean" } }, positionals: false, run: recommendationsCommand },
};

/** Options that take a value, across all commands: their value is never the command name. */
const VALUE_OPTIONS = new Set(
  [GLOBAL, ...Object.values(COMMANDS).map((c) => c.options)].flatMap((options) =>
    Object.entries(options)
      .filter(([, o]) => o.type === "string")
      .map(([name]) => `--${name}`),
  ),
);

/** Finds the command: the first argument that is neither an option nor an option's value. */
function findCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. Never throws. */
export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  let command: string | undefined;
  try {
    const found = findCommand(argv);
    command = found.command;
    if (command === undefined || command === "help") {
      const topic = command === "help" ? found.rest.find((a) => !a.startsWith("-")) : undefined;
      if (topic !== undefined && USAGE[topic] === undefined) throw new UsageError(`unknown command "${topic}"`);
      const asked = found.rest.includes("--help") || found.rest.includes("-h") || command === "help";
      if (!asked) throw new UsageError("a command is required");
      out.write(USAGE[topic ?? ""] + "\n");
      return 0;
    }
    const spec = COMMANDS[command];
    if (!spec) {
      const unknown = command;
      command = undefined;
      throw new UsageError(`unknown command "${unknown}"`);
    }
    let parsed;
    try {
      parsed = parseArgs({ args: found.rest, options: { ...GLOBAL, ...spec.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(describeParseError(error, command), command);
    }
    if (parsed.values.help) {
      out.write(USAGE[command] + "\n");
      return 0;
    }
    if (!spec.positionals && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`, command);
    }
    return await spec.run({ values: parsed.values as CliContext["values"], positionals: parsed.positionals, out, err });
  } catch (error) {
    return report(error, command, err);
  }
}

function report(error: unknown, command: string | undefined, err: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    err.write(`skill-metrics: ${error.message}\n\n${USAGE[error.command ?? command ?? ""] ?? USAGE[""]}\n`);
    return 1;
  }
  if (error instanceof ConfigurationError) {
    err.write(`skill-metrics: ${firstLine(error.message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  const prefix = error instanceof SkillMetricsError ? "" : "unexpected error: ";
  err.write(`skill-metrics: ${prefix}${firstLine(message)}\n`);
  if (process.env.SKILL_METRICS_DEBUG && error instanceof Error && error.stack) err.write(error.stack + "\n");
  return 2;
}

/**
 * parseArgs's complaint in our words: its own text names the option with mismatched quotes and suggests
 * `--` (meant for positionals), which says nothing useful here.
 */
function describeParseError(error: unknown, command: string): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^' ]*)/.exec(message ?? "")?.[1];
  if (option !== undefined) {
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option} for ${command}`;
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      return /does not take an argument/.test(message ?? "") ? `${option} takes no value` : `${option} needs a value`;
    }
  }
  return firstLine(String(message ?? error));
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 2;
    },
  );
}
