import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { StorageError } from "../../../src/errors";
import { SpillFile } from "../../../src/recording/SpillFile";
import { makeRow, makeRows } from "./make-row";

describe("SpillFile", () => {
  let dir: string;
  let spill: SpillFile;
  let stored: Map<string, ExecutionMetricRow>;
  const problems: unknown[] = [];
  const insert = async (rows: ExecutionMetricRow[]) => {
    for (const row of rows) stored.set(row.execution_id, row);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-spill-"));
    spill = new SpillFile(join(dir, "m.db.spill.ndjson"));
    stored = new Map();
    problems.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("appends NDJSON rows and replays them exactly, then deletes the file", async () => {
    spill.append(makeRows(3));
    spill.append(makeRows(2, 0, 3));
    expect(readFileSync(spill.path, "utf8").split("\n").filter(Boolean)).toHaveLength(5);
    const result = await spill.replay(insert, 2, (e) => problems.push(e));
    expect(result).toEqual({ rows: 5, rejectedLines: 0, complete: true });
    expect([...stored.values()]).toEqual(makeRows(5));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("skips and reports a line cut by a crash mid-append, and keeps later appends whole", async () => {
    spill.append(makeRows(2));
    const cut = JSON.stringify(makeRow(2)).slice(0, 40);
    appendFileSync(spill.path, cut); // the crash: no newline
    spill.append([makeRow(3)]);
    const result = await spill.replay(insert, 10, (e) => problems.push(e));
    expect(result).toEqual({ rows: 3, rejectedLines: 1, complete: true });
    expect([...stored.keys()]).toEqual([makeRow(0), makeRow(1), makeRow(3)].map((r) => r.execution_id));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(StorageError);
    const kept = readFileSync(`${spill.path}.rejected`, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(kept).toEqual([{ reason: expect.stringMatching(/not JSON/), line: cut }]);
  });

  it("keeps the file when the store fails mid-replay, and the next replay stores every row once", async () => {
    spill.append(makeRows(10));
    let calls = 0;
    const failing = async (rows: ExecutionMetricRow[]) => {
      if (++calls === 2) throw new Error("SQLITE_FULL: database or disk is full");
      await insert(rows);
    };
    await expect(spill.replay(failing, 4, (e) => problems.push(e))).rejects.toThrow("SQLITE_FULL");
    expect(stored.size).toBe(4);
    expect(spill.hasPendingRows()).toBe(true);
    const result = await spill.replay(insert, 4, (e) => problems.push(e));
    // It resumes after the 4 rows the first replay stored, instead of sending them again.
    expect(result.rows).toBe(6);
    expect(stored.size).toBe(10);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a replay stopped part-way resumes where it stopped; unusable lines before that point are moved once", async () => {
    const rows = makeRows(10);
    writeFileSync(spill.path, [...rows.slice(0, 3).map((r) => JSON.stringify(r)), "{cut", ...rows.slice(3).map((r) => JSON.stringify(r)), "also bad"].join("\n") + "\n");
    let batches = 0;
    const first = await spill.replay(insert, 4, (e) => problems.push(e), () => batches++ >= 1);
    expect(first).toEqual({ rows: 4, rejectedLines: 1, complete: false });
    expect(stored.size).toBe(4);
    const sent: string[] = [];
    const second = await spill.replay(
      async (batch) => {
        sent.push(...batch.map((r) => r.execution_id));
        await insert(batch);
      },
      4,
      (e) => problems.push(e),
    );
    expect(second).toEqual({ rows: 6, rejectedLines: 1, complete: true });
    expect(sent).toEqual(rows.slice(4).map((r) => r.execution_id));
    expect(stored.size).toBe(10);
    const kept = readFileSync(`${spill.path}.rejected`, "utf8").trim().split("\n").map((line) => JSON.parse(line).line);
    expect(kept).toEqual(["{cut", "also bad"]);
    expect(readdirSync(dir).filter((name) => !name.endsWith(".rejected"))).toEqual([]);
  });

  it("does not lose rows spilled while a replay runs", async () => {
    spill.append(makeRows(5));
    let appended = false;
    const appendingInsert = async (rows: ExecutionMetricRow[]) => {
      if (!appended) {
        appended = true;
        spill.append(makeRows(3, 1));
      }
      await insert(rows);
    };
    await spill.replay(appendingInsert, 2, (e) => problems.push(e));
    expect(stored.size).toBe(5);
    expect(spill.hasPendingRows()).toBe(true);
    await spill.replay(insert, 2, (e) => problems.push(e));
    expect(stored.size).toBe(8);
  });

  it("replays a leftover of a replay that died, and journals of ended processes but not of live ones", async () => {
    writeFileSync(`${spill.path}.replaying-1-2-3`, JSON.stringify(makeRow(0)) + "\n");
    const ended = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const deadPid = Number(ended.stdout.toString());
    writeFileSync(spill.journalPathFor(deadPid), JSON.stringify(makeRow(1)) + "\n");
    const livePid = process.ppid;
    writeFileSync(spill.journalPathFor(livePid), JSON.stringify(makeRow(2)) + "\n");
    const result = await spill.replay(insert, 10, (e) => problems.push(e));
    expect(result.rows).toBe(2);
    expect([...stored.keys()].sort()).toEqual([makeRow(0).execution_id, makeRow(1).execution_id].sort());
    expect(existsSync(spill.journalPathFor(livePid))).toBe(true);
    expect(existsSync(spill.journalPathFor(deadPid))).toBe(false);
  });

  it("refuses a line that parses but is not a valid row", async () => {
    writeFileSync(spill.path, JSON.stringify({ ...makeRow(0), status: "exploded" }) + "\n" + JSON.stringify(makeRow(1)) + "\n");
    const result = await spill.replay(insert, 10, (e) => problems.push(e));
    expect(result).toEqual({ rows: 1, rejectedLines: 1, complete: true });
  });

  it("refuses damaged lines whose values break the rules though their shape is right, and stores the good row", async () => {
    const good = makeRow(0);
    const damaged = [
      { ...makeRow(1), execution_id: "not-a-uuid-at-all" },
      { ...makeRow(2), started_at: "2026-13-45T99:99:99.999Z" },
      { ...makeRow(3), total_duration_ms: -5 },
      { ...makeRow(4), user_satisfaction: 99 },
      { ...makeRow(5), completed_at: "2026-11-27T11:59:59.999Z" }, // before started_at
      { ...makeRow(6), completed_at: null }, // finished without completed_at
    ].map((row) => JSON.stringify(row));
    writeFileSync(spill.path, [JSON.stringify(good), ...damaged].join("\n") + "\n");
    const result = await spill.replay(insert, 100, (e) => problems.push(e));
    expect(result).toMatchObject({ rows: 1, rejectedLines: damaged.length });
    expect([...stored.values()]).toEqual([good]);
    expect(problems).toHaveLength(1);
    // Each kept line is `{ reason, line }` with the line as it was.
    const kept = readFileSync(`${spill.path}.rejected`, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { line: string });
    expect(kept.map((entry) => entry.line)).toEqual(damaged);
  });

  it("reports an append it cannot make as a StorageError", () => {
    const blocked = new SpillFile(dir); // a directory, not a file
    expect(() => blocked.append([makeRow(0)])).toThrow(StorageError);
  });
});
