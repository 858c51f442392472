import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { packagesReached, SRC } from "./eager-imports";

/**
 * The layering of src/ (README, "Architecture"): tracking and recording — the code inside every tracked call
 * and the write path — never load TypeORM or the entity validation, not even through another module, and
 * the model they share is TypeORM-free too. Checked on the sources: every import, export-from and require
 * with a relative path is followed; the packages reached are collected.
 */
const FORBIDDEN = ["typeorm", "class-validator", "class-transformer"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("layering: what tracking, recording and the model may load", () => {
  const layers = ["tracking", "recording", "model"];
  const files = layers.flatMap((layer) => filesUnder(join(SRC, layer)));

  it("finds the files it checks", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(FORBIDDEN)("no file under src/tracking, src/recording or src/model reaches %s, directly or transitively", (forbidden) => {
    const offenders = files.flatMap((file) => {
      const chain = packagesReached(file).get(forbidden);
      return chain ? [`${chain.join(" → ")} → ${forbidden}`] : [];
    });
    expect(offenders).toEqual([]);
  });

  it("the check sees a real violation: the storage layer does reach typeorm", () => {
    expect(packagesReached(join(SRC, "storage/SqlMetricStore.ts")).has("typeorm")).toBe(true);
    expect(packagesReached(join(SRC, "validation/validate-record.ts")).has("typeorm")).toBe(true);
  });
});
