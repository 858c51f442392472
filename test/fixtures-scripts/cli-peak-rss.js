// Runs the BUILT CLI's main() with the given arguments in this process, then prints the process's peak
// resident set size as the last line of stderr: `peak-rss-kb <kilobytes>` (process.resourceUsage().maxRSS).
// Exits with the CLI's exit code. Usage: node cli-peak-rss.js <cli arguments…>
"use strict";
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { main } = require(path.join(dist, "cli/main.js"));

main(process.argv.slice(2)).then(
  (code) => {
    process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
    process.exitCode = code;
  },
  () => {
    process.exitCode = 2;
  },
);
