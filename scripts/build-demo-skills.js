#!/usr/bin/env node
/**
 * Second step of `npm run build`: compiles the demo's skill classes (src/demo/skills) with STANDARD (TC39
 * stage-3) decorators, as a user's project would, and puts them in the build's dist/src/demo/skills.
 *
 * The first step, `tsc -p tsconfig.build.json`, compiles all of src with experimentalDecorators (TypeORM's
 * entities need it), and it emits the skills too, since run-demo imports them: as legacy `__decorate` calls.
 * This step compiles src/demo/skills/tsconfig.json (experimentalDecorators off) into a staging directory and
 * copies only the skills' files over those, so nothing else in the build changes. It fails if a compiled skill
 * still holds `__decorate`, or if none holds the standard decorators' `__esDecorate`.
 *
 * Usage: node scripts/build-demo-skills.js [outDir]   (default: dist, the outDir of tsconfig.build.json)
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const SKILLS = "src/demo/skills";
const out = path.resolve(process.argv[2] ?? path.join(ROOT, "dist"));
const staging = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-demo-skills-"));

try {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(SKILLS, "tsconfig.json"), "--outDir", staging], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const from = path.join(staging, SKILLS);
  const to = path.join(out, SKILLS);
  fs.mkdirSync(to, { recursive: true });
  let standard = 0;
  for (const name of fs.readdirSync(from)) {
    const text = fs.readFileSync(path.join(from, name), "utf8");
    if (name.endsWith(".js")) {
      if (/\b__decorate\b/.test(text)) throw new Error(`${SKILLS}/${name} compiled to legacy __decorate calls`);
      if (text.includes("__esDecorate")) standard++;
    }
    fs.writeFileSync(path.join(to, name), text);
  }
  if (standard === 0) throw new Error(`no file of ${SKILLS} compiled to standard decorators (__esDecorate)`);
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
