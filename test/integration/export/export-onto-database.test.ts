import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ExportService } from "../../../src/exchange/ExportService";
import { SkillMetricsError } from "../../../src/errors";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";

/** The API refuses what the CLI refuses (issue 16): an export onto the SQLite file it reads, however named. */
describe("ExportService onto its own database", () => {
  let db: TempDatabase;
  beforeEach(async () => {
    db = await createTempDatabase();
  });
  afterEach(() => db.cleanup());

  it.each([
    ["the file itself", (d: TempDatabase) => d.path],
    ["a symlink to it", (d: TempDatabase) => {
      symlinkSync(d.path, join(d.dir, "alias.csv"));
      return join(d.dir, "alias.csv");
    }],
    ["its -wal name", (d: TempDatabase) => `${d.path}-wal`],
    ["its -journal name", (d: TempDatabase) => `${d.path}-journal`],
  ])("refuses %s before opening anything, and the database keeps working", async (_what, target) => {
    const header = readFileSync(db.path).subarray(0, 16).toString("latin1");
    const destination = target(db);
    const journalExisted = existsSync(`${db.path}-journal`);
    const attempt = new ExportService(db.dataSource).exportCsv(destination);
    await expect(attempt).rejects.toBeInstanceOf(SkillMetricsError);
    await expect(new ExportService(db.dataSource).exportCsv(destination)).rejects.toMatchObject({ code: "SKILL_METRICS_DESTINATION_REFUSED" });
    expect(readFileSync(db.path).subarray(0, 16).toString("latin1")).toBe(header);
    expect(existsSync(`${db.path}-journal`)).toBe(journalExisted);
    expect(await db.dataSource.query("SELECT COUNT(*) AS n FROM execution_metrics")).toEqual([{ n: 0 }]);
  });
});
