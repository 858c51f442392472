import { ExecutionMetricsCollector } from "../ExecutionMetricsCollector";
import { UsageError } from "./UsageError";

/** What every command receives: its own parsed options, the global ones, and where to print. */
export interface CliContext {
  /** The command's options and the global ones (`db`, `db-url`), as parsed. */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WriteStream;
}

/** Opens a collector on the database the global options name; the caller shuts it down. */
export function openCollector(context: CliContext): Promise<ExecutionMetricsCollector> {
  return ExecutionMetricsCollector.create({
    database: stringOption(context, "db"),
    url: stringOption(context, "db-url"),
    setAsDefault: false,
  });
}

/** A string option, or undefined when absent. */
export function stringOption(context: CliContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A whole number option within [min, max], or `fallback` when absent. */
export function integerOption(context: CliContext, name: string, fallback: number, min: number, max: number, command: string): number {
  const text = stringOption(context, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`, command);
  }
  return value;
}

/** A required string option. */
export function requiredOption(context: CliContext, name: string, command: string): string {
  const value = stringOption(context, name);
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`, command);
  return value;
}

/** Runs `body` with a collector and always shuts it down. */
export async function withCollector<T>(context: CliContext, body: (metrics: ExecutionMetricsCollector) => Promise<T>): Promise<T> {
  const metrics = await openCollector(context);
  try {
    return await body(metrics);
  } finally {
    await metrics.shutdown();
  }
}
