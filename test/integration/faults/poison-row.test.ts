import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sqlite3 from "sqlite3";
import {
  assertBuilt,
  type CollectorLike,
  compareWithOracle,
  countRows,
  expectEveryOracleIdOnce,
  loadBuilt,
  storedIdCounts,
  withRawConnection,
  all,
} from "./fault-support";

const { makeRow } = require("../../fixtures-scripts/make-row.js") as {
  makeRow(index: number, run?: number, overrides?: Record<string, unknown>): Record<string, unknown>;
};

/**
 * Fault: a poison row in a spilled batch. Before the change, a row that had the row shape but that SQLite
 * refused (`api_calls_cost_usd: null`: NOT NULL) failed the whole batch holding it on every replay, for ever:
 * 600 good rows blocked by one. After: the good rows are stored, the poison row is quarantined in
 * `<spill>.rejected` as `{ "reason": …, "line": <original JSON> }`, and a second start does not replay it.
 */
const RUN = 0x0b;
const GOOD = 600;
const POISON_AT = 300;

describe("fault: a poison row in the spill file, and an overflowing cost through recording", () => {
  let dir: string;
  let collectors: CollectorLike[] = [];
  const errors: string[] = [];
  const onError = (error: unknown) => {
    const e = error as { message?: string; cause?: { message?: string } };
    errors.push(`${e?.message ?? String(error)} ${e?.cause?.message ?? ""}`);
  };

  beforeAll(() => assertBuilt());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-poison-"));
    errors.length = 0;
  });
  afterEach(async () => {
    for (const c of collectors.splice(0)) await c.shutdown({ timeoutMillis: 5000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(database: string, options: Record<string, unknown> = {}): Promise<CollectorLike> {
    const c = await loadBuilt().ExecutionMetricsCollector.create({ database, onError, setAsDefault: false, ...options });
    collectors.push(c);
    return c;
  }

  /** Adds a trigger that refuses one skill's rows: a refusal by the database itself, whatever the SDK checks. */
  function addRefusingTrigger(database: string, skillId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(database, (openError) => {
        if (openError) return reject(openError);
        db.exec(
          `CREATE TRIGGER refuse_poison BEFORE INSERT ON execution_metrics WHEN NEW.skill_id = '${skillId}' ` +
            `BEGIN SELECT RAISE(ABORT, 'poison row refused by the database'); END;`,
          (error) => db.close(() => (error ? reject(error) : resolve())),
        );
      });
    });
  }

  /**
   * Two poison rows. "line check": api_calls_cost_usd null has the row's shape; before the change it went to
   * SQLite, which refused it (NOT NULL) and with it every replay of the file. The spill line check now applies
   * the entity's rules and refuses it before any write. "database": a row that passes every check of the SDK
   * and that the database itself refuses — with the line check complete, no column constraint of the schema is
   * left for such a row to break (SQLite enforces no lengths or types), so a trigger refuses it, as a user's
   * own constraint or trigger would.
   */
  it.each([
    ["line check", { api_calls_cost_usd: null }, /api_calls_cost_usd/],
    ["database", { skill_id: "poison_db" }, /poison row refused by the database/],
  ] as const)(
    "poison row refused by the %s: the 600 good rows are stored, the poison row is quarantined with its reason, and never replayed again",
    async (kind, overrides, reason) => {
      const database = join(dir, "metrics.db");
      const spillPath = `${database}.spill.ndjson`;
      if (kind === "database") {
        // The database must exist to hold the trigger: a first start creates and migrates it.
        await (await start(database)).shutdown({ timeoutMillis: 10_000 });
        await addRefusingTrigger(database, "poison_db");
      }
      const good = Array.from({ length: GOOD }, (_unused, i) => makeRow(i, RUN, { skill_id: "poison_test" }));
      const poison = makeRow(GOOD, RUN, { skill_id: "poison_test", ...overrides });
      const lines = good.map((row) => JSON.stringify(row));
      lines.splice(POISON_AT, 0, JSON.stringify(poison));
      writeFileSync(spillPath, lines.join("\n") + "\n");

      // The first start: create() replays, flush() finishes whatever create() left.
      errors.length = 0;
      const first = await start(database);
      await first.flush();
      const firstStats = { ...first.stats };
      await first.shutdown({ timeoutMillis: 10_000 });
      const report = compareWithOracle(good.map((row) => row.execution_id as string), await storedIdCounts(database));
      const rejectedPath = `${spillPath}.rejected`;
      const rejectedText = existsSync(rejectedPath) ? readFileSync(rejectedPath, "utf8") : "";
      console.log(
        `poison-row (${kind}): stats ${JSON.stringify(firstStats)}; rejected file: ${JSON.stringify(rejectedText.slice(0, 200))}; ` +
          `errors: ${errors.slice(0, 3).join(" | ").slice(0, 600)}`,
      );

      expectEveryOracleIdOnce(report);
      expect(report.notInOracle).toBe(0); // the poison row is not stored
      expect(await countRows(database)).toBe(GOOD);
      const rejectedLines = rejectedText.split("\n").filter((line) => line.length > 0);
      expect(rejectedLines).toHaveLength(1);
      const quarantined = JSON.parse(rejectedLines[0]) as { reason?: unknown; line?: unknown };
      expect(typeof quarantined.reason).toBe("string");
      expect(quarantined.reason).toMatch(reason);
      expect(typeof quarantined.line).toBe("string");
      expect(JSON.parse(quarantined.line as string)).toEqual(poison);
      // Nothing is left to replay: no spill file, no replay leftovers.
      expect(readdirSync(dir).filter((name) => name.includes(".spill.ndjson") && !name.endsWith(".rejected"))).toEqual([]);
      expect(firstStats).toMatchObject({ replayed: GOOD, rejected: 1, dropped: 0 });
      expect(errors.some((text) => reason.test(text))).toBe(true);

      // The second start replays nothing and does not quarantine the poison row twice.
      errors.length = 0;
      const second = await start(database);
      await second.flush();
      const secondStats = { ...second.stats };
      await second.shutdown({ timeoutMillis: 10_000 });
      expect(secondStats).toMatchObject({ replayed: 0, rejected: 0 });
      expect(readFileSync(rejectedPath, "utf8")).toBe(rejectedText);
      expect(await countRows(database)).toBe(GOOD);
    },
    60_000,
  );

  it("recordApiCall({ costUsd: 1e308 }) twice in one call: 1e308 stored, the second refused and reported, exports are valid JSON", async () => {
    const database = join(dir, "metrics.db");
    const built = loadBuilt();
    const c = await start(database, { setAsDefault: true });
    let id = "";
    await built.track("cost_test", async (ctx: any) => {
      id = ctx.executionId;
      ctx.recordApiCall({ costUsd: 1e308 });
      ctx.recordApiCall({ costUsd: 1e308 });
    });
    await c.flush();
    const rows = await withRawConnection(database, (db) =>
      all<{ api_calls_cost_usd: number; api_calls_count: number }>(
        db,
        `SELECT api_calls_cost_usd, api_calls_count FROM execution_metrics WHERE execution_id = '${id}'`,
      ),
    );
    expect(rows).toEqual([{ api_calls_cost_usd: 1e308, api_calls_count: 1 }]);
    expect(errors.some((text) => /api_calls_cost_usd/.test(text))).toBe(true);
    expect(c.stats).toMatchObject({ submitted: 1, written: 1, dropped: 0 });

    const exported = join(dir, "export.json");
    await c.exportJson(exported);
    const parsed = JSON.parse(readFileSync(exported, "utf8")) as Record<string, unknown>[];
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ execution_id: id, api_calls_cost_usd: 1e308 });
  }, 60_000);
});
