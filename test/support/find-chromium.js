"use strict";
/**
 * The Chromium (or Chrome) the report's browser test drives: `SKILL_METRICS_CHROMIUM` when set, else the first
 * of the usual install paths that exists (Debian's chromium package first, as CI installs it). `npm test` runs the
 * browser suite whenever one is found and skips it with a line saying why otherwise (never under CI=true).
 *
 * Plain JavaScript: the skipped-suites reporter, which jest loads with require() and no transform, uses it too.
 */
const fs = require("node:fs");

/** Where a browser is looked for when SKILL_METRICS_CHROMIUM is not set. */
const CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/google-chrome-stable",
  "/usr/bin/google-chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/** The browser's path, or null when there is none (SKILL_METRICS_CHROMIUM set to a missing file counts as none). */
function findChromium(env = process.env) {
  if (env.SKILL_METRICS_CHROMIUM) return fs.existsSync(env.SKILL_METRICS_CHROMIUM) ? env.SKILL_METRICS_CHROMIUM : null;
  return CHROMIUM_PATHS.find((file) => fs.existsSync(file)) ?? null;
}

/** Why no browser was found, for the skip line and the test's warning. */
function chromiumMissing(env = process.env) {
  return env.SKILL_METRICS_CHROMIUM
    ? `SKILL_METRICS_CHROMIUM=${env.SKILL_METRICS_CHROMIUM} does not exist`
    : `no Chromium or Chrome at ${CHROMIUM_PATHS.join(", ")} (set SKILL_METRICS_CHROMIUM to another)`;
}

module.exports = { CHROMIUM_PATHS, findChromium, chromiumMissing };
