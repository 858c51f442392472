/** Where a browser is looked for when SKILL_METRICS_CHROMIUM is not set. */
export declare const CHROMIUM_PATHS: readonly string[];
/** The browser's path, or null when there is none (SKILL_METRICS_CHROMIUM set to a missing file counts as none). */
export declare function findChromium(env?: NodeJS.ProcessEnv): string | null;
/** Why no browser was found, for the skip line and the test's warning. */
export declare function chromiumMissing(env?: NodeJS.ProcessEnv): string;
