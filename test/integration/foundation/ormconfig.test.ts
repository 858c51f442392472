import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "../../..");

function typeorm(command: string, database: string): { code: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/typeorm/cli-ts-node-commonjs.js"), command, "-d", "ormconfig.ts"],
    { cwd: ROOT, env: { ...process.env, SKILL_METRICS_DB: database, SKILL_METRICS_DB_URL: "" }, encoding: "utf8" },
  );
  return { code: result.status, output: result.stdout + result.stderr };
}

describe("ormconfig.ts with the typeorm CLI (npm run migration:*)", () => {
  it("shows, runs and reverts the migrations of the database named by SKILL_METRICS_DB", () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-ormconfig-"));
    const database = join(dir, "cli.db");
    try {
      expect(typeorm("migration:show", database).output).toMatch(/\[ \] InitialSchema1764288000000/);
      expect(typeorm("migration:run", database).code).toBe(0);
      expect(typeorm("migration:show", database).output).toMatch(/\[X\] 1 InitialSchema1764288000000/);
      const revert = typeorm("migration:revert", database);
      expect(revert.code).toBe(0);
      expect(revert.output).toMatch(/reverted successfully/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
