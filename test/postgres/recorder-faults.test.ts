import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { Recorder } from "../../src/recording/Recorder";
import { SqlMetricStore } from "../../src/storage/SqlMetricStore";
import { makeRows } from "../unit/recording/make-row";
import { createMigratedPgDatabase, describePg } from "./pg-database";

/**
 * The recorder's write path on a real PostgreSQL server: a row the server refuses (an integrity-constraint
 * SQLSTATE raised by a trigger, for a row that passes validation) is quarantined alone, the rest of its batch is
 * stored, and the counters equal count(*).
 */
describePg("recorder faults", () => {
  let pg: { url: string; dataSource: DataSource; cleanup(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    pg = await createMigratedPgDatabase("recorder_faults");
    await pg.dataSource.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
      BEGIN
        IF NEW.skill_id = 'poison' THEN RAISE EXCEPTION 'poison row refused' USING ERRCODE = 'check_violation'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await pg.dataSource.query(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON execution_metrics FOR EACH ROW EXECUTE FUNCTION refuse_poison()`,
    );
  });

  afterAll(async () => {
    await pg.cleanup();
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-pg-recorder-"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("a row the server refuses is quarantined alone; the others are stored; written equals count(*)", async () => {
    const errors: unknown[] = [];
    const spillPath = join(dir, "pg.spill.ndjson");
    const r = new Recorder(new SqlMetricStore(pg.dataSource), { spillPath, batchSize: 500, flushIntervalMillis: 60_000, onError: (e) => errors.push(e) });
    const rows = makeRows(1000, 41);
    rows[3] = { ...rows[3], skill_id: "poison" };
    rows[777] = { ...rows[777], skill_id: "poison" };
    for (const row of rows) r.submit(row);
    await r.flush();
    await r.shutdown();
    const [{ n }] = await pg.dataSource.query(`SELECT COUNT(*)::int AS n FROM execution_metrics WHERE execution_id LIKE '00000029-%'`);
    expect(n).toBe(998);
    expect(r.stats).toMatchObject({ submitted: 1000, written: 998, rejected: 2, spilled: 0, dropped: 0 });
    const kept = readFileSync(`${spillPath}.rejected`, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(kept.map((entry) => JSON.parse(entry.line).execution_id)).toEqual([rows[3].execution_id, rows[777].execution_id]);
    expect(kept.every((entry) => /poison row refused/.test(entry.reason))).toBe(true);
    expect(existsSync(spillPath)).toBe(false);
  });
});
