import type * as OpenTelemetryApi from "@opentelemetry/api";
import { ConfigurationError } from "../errors";

/** What to run when the optional peers are missing; named in the ConfigurationError. */
export const OPENTELEMETRY_INSTALL_COMMAND = "npm install @opentelemetry/api @opentelemetry/sdk-trace-base";

/** The code of the ConfigurationError thrown when the optional OpenTelemetry peers are not installed. */
export const OPENTELEMETRY_MISSING_CODE = "SKILL_METRICS_OPENTELEMETRY_MISSING";

let loaded: typeof OpenTelemetryApi | undefined;

/**
 * `@opentelemetry/api`, the optional peer, loaded on first use (the core package never loads it).
 *
 * @param user what needs it, for the message ("skill-metrics/opentelemetry", "the collector's openTelemetry option").
 * @throws ConfigurationError (code `SKILL_METRICS_OPENTELEMETRY_MISSING`) naming the install command when the
 * package is not installed; any other load failure is rethrown as it is.
 * @internal
 */
export function loadOpenTelemetryApi(user: string): typeof OpenTelemetryApi {
  if (loaded !== undefined) return loaded;
  try {
    loaded = require("@opentelemetry/api") as typeof OpenTelemetryApi;
  } catch (error) {
    if (!isMissing(error, "@opentelemetry/api")) throw error;
    throw new ConfigurationError(
      `${user} needs the optional peer dependencies @opentelemetry/api and @opentelemetry/sdk-trace-base, ` +
        `which are not installed: run \`${OPENTELEMETRY_INSTALL_COMMAND}\` in your project.`,
      { cause: error, code: OPENTELEMETRY_MISSING_CODE },
    );
  }
  return loaded;
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "MODULE_NOT_FOUND" && typeof message === "string" && message.includes(`'${name}'`);
}
