import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sqlite3 from "sqlite3";
import { COMMANDS, GLOBAL } from "../../../src/cli/main";
import { CSV_HEADER, encodeCsvRow } from "../../../src/exchange/csv-encoding";

/**
 * The CLI on hostile paths and input (issue 16), one row per case: the exact exit code, the first line of
 * stderr, and the state of every file involved afterwards. Spawns the BUILT bin, as a user runs it
 * (`npm run build` first); SKILL_METRICS_DIST may point at a private build's dist/src.
 */
const BIN = join(process.env.SKILL_METRICS_DIST ?? join(__dirname, "../../../dist/src"), "cli/main.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeRow } = require("../../fixtures-scripts/make-row") as { makeRow: (index: number, run?: number, overrides?: object) => Record<string, unknown> };

/** Rows of the seeded database: two skills, all finished. */
const SEEDED = 12;

/** A valid record for import files, run 17 (ids distinct from the seeded rows). */
const rec = (i: number) => makeRow(i, 17, { skill_id: "imported" });
const csvOf = (rows: object[]) => CSV_HEADER + rows.map((r) => encodeCsvRow(r, true)).join("");
const ndjsonOf = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const jsonOf = (rows: object[]) => "[\n" + rows.map((r) => JSON.stringify(r)).join(",\n") + "\n]\n";

/** After an import into i.db: its rows, and nothing beside it but the input files. */
function imported(rows: number, inputs: string[]): Case["after"] {
  return async (dir, _run, seeded) => {
    expect(existsSync(join(dir, "i.db"))).toBe(true);
    expect(await countRows(join(dir, "i.db"))).toBe(rows);
    await databaseIntact(dir, seeded);
    onlyFiles(dir, ["m.db", "i.db", ...inputs]);
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, SKILL_METRICS_DB: undefined, SKILL_METRICS_DB_URL: undefined };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env as NodeJS.ProcessEnv;
}

function cli(args: readonly string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: childEnv(), encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI with its stdout's read end closed before it writes: every write meets EPIPE. */
async function cliWithClosedStdout(args: readonly string[], cwd: string): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return { code, stdout: "", stderr };
}

function sha(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/**
 * Rows of execution_metrics, read by the test's own sqlite3 (opened read-write without create: its close then
 * removes the -wal and -shm it made, which a read-only connection would leave).
 */
function countRows(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error) => {
      if (error) return reject(error);
      db.get("SELECT COUNT(*) AS n FROM execution_metrics", (queryError: Error | null, row: { n: number }) => {
        db.close(() => (queryError ? reject(queryError) : resolve(row.n)));
      });
    });
  });
}

/** The names in sqlite_master of a file, read by the test's own sqlite3 (read-write without create, as countRows). */
function tablesOf(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error) => {
      if (error) return reject(error);
      db.all("SELECT name FROM sqlite_master ORDER BY name", (queryError: Error | null, rows: { name: string }[]) => {
        db.close(() => (queryError ? reject(queryError) : resolve(rows.map((row) => row.name))));
      });
    });
  });
}

function sql(file: string, statements: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (error) => {
      if (error) return reject(error);
      db.exec(statements, (execError) => db.close(() => (execError ? reject(execError) : resolve())));
    });
  });
}

function isFifo(file: string): boolean {
  return lstatSync(file).isFIFO();
}

/** Starts `cat FIFO > OUT` so that a writer of the FIFO finds a reader; resolves when cat has ended. */
function drainFifo(fifo: string, out: string): Promise<void> {
  const cat: ChildProcess = spawn("sh", ["-c", 'cat "$0" > "$1"', fifo, out], { stdio: "ignore" });
  return new Promise((resolve) => cat.on("close", () => resolve()));
}

/**
 * A private twin of /dev/full (character device 1,7: every write fails with ENOSPC) in the case's directory:
 * a build that still replaced its destination by rename would then destroy this node, never the system's
 * /dev/full. Needs root (mknod), as `npm test` runs in CI.
 */
function makeFullDevice(dir: string): void {
  const made = spawnSync("mknod", ["-m", "666", join(dir, "full"), "c", "1", "7"], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mknod of a full device failed (root needed): ${made.stderr}`);
}

interface Case {
  /** What the row shows. */
  name: string;
  /** Files the case needs beside the seeded m.db (a FIFO, a link, a foreign file). */
  setup?: (dir: string) => Promise<void> | void;
  args: string[];
  /** Run with stdout closed (EPIPE) instead of captured. */
  closedStdout?: boolean;
  /** Start a reader of this FIFO (relative to the directory) before the run. */
  fifoReader?: string;
  code: number;
  /** The exact first line of stderr (a string), or a pattern for messages that carry an OS text. */
  stderr: string | RegExp;
  /** The state of every file involved after the run. */
  after: (dir: string, run: Run, seededSha: string) => Promise<void> | void;
}

/** The seeded database is untouched: same bytes, no -wal/-shm/-journal left beside it, every row readable. */
async function databaseIntact(dir: string, seededSha: string, name = "m.db"): Promise<void> {
  expect(sha(join(dir, name))).toBe(seededSha);
  for (const suffix of ["-wal", "-shm", "-journal"]) expect(existsSync(join(dir, name + suffix))).toBe(false);
  expect(await countRows(join(dir, name))).toBe(SEEDED);
}

/** The directory holds exactly these names (no temp file, no stray output). */
function onlyFiles(dir: string, names: string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...names].sort());
}

const CASES: Case[] = [
  // ── destinations ────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "export onto the database being read is refused before anything is opened for writing",
    args: ["export", "--db", "m.db", "--out", "m.db"],
    code: 2,
    stderr: "skill-metrics: Refusing to write m.db: it is the database being read (m.db); choose another --out",
    after: async (dir, _run, seeded) => {
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "export onto the database through a symlink to it",
    setup: (dir) => symlinkSync("m.db", join(dir, "alias.db")),
    args: ["export", "--db", "m.db", "--out", "alias.db"],
    code: 2,
    stderr: "skill-metrics: Refusing to write alias.db: it is the database being read (m.db); choose another --out",
    after: async (dir, _run, seeded) => {
      expect(lstatSync(join(dir, "alias.db")).isSymbolicLink()).toBe(true);
      await databaseIntact(dir, seeded);
    },
  },
  {
    name: "export onto the database read through a symlink, named by its real name",
    setup: (dir) => symlinkSync("m.db", join(dir, "link.db")),
    args: ["export", "--db", "link.db", "--out", "m.db"],
    code: 2,
    stderr: "skill-metrics: Refusing to write m.db: it is the database being read (link.db); choose another --out",
    after: async (dir, _run, seeded) => {
      expect(lstatSync(join(dir, "link.db")).isSymbolicLink()).toBe(true);
      await databaseIntact(dir, seeded);
    },
  },
  {
    name: "export onto a hard link of the database (same device and inode)",
    setup: (dir) => linkSync(join(dir, "m.db"), join(dir, "hard.db")),
    args: ["report", "--db", "m.db", "--out", "hard.db"],
    code: 2,
    stderr: "skill-metrics: Refusing to write hard.db: it is the database being read (m.db); choose another --out",
    after: async (dir, _run, seeded) => {
      expect(sha(join(dir, "hard.db"))).toBe(seeded);
      await databaseIntact(dir, seeded);
    },
  },
  ...(["-wal", "-shm", "-journal"] as const).map(
    (suffix): Case => ({
      name: `export onto the database's ${suffix} name (not existing yet)`,
      args: ["export", "--db", "m.db", "--out", `m.db${suffix}`],
      code: 2,
      stderr: `skill-metrics: Refusing to write m.db${suffix}: it is the ${suffix.slice(1)} file of the database being read (m.db${suffix}); choose another --out`,
      after: async (dir, _run, seeded) => {
        await databaseIntact(dir, seeded);
        onlyFiles(dir, ["m.db"]);
      },
    }),
  ),
  {
    name: "--out - writes the export to standard output and the summary to stderr",
    args: ["export", "--db", "m.db", "--format", "ndjson", "--out", "-"],
    code: 0,
    stderr: /^Wrote 12 executions \(\d+ bytes\) to standard output$/,
    after: async (dir, run, seeded) => {
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(SEEDED);
      expect(JSON.parse(lines[0])).toMatchObject({ skill_id: "alpha" });
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "report --out - writes the HTML to standard output",
    args: ["report", "--db", "m.db", "--out", "-"],
    code: 0,
    stderr: /^Wrote a report of 2 skill\(s\), 12 executions \(\d+ bytes\) to standard output$/,
    after: async (dir, run, seeded) => {
      expect(run.stdout).toMatch(/^<!DOCTYPE html>/i);
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "--out - with standard output closed (EPIPE) is exit 2 naming it",
    args: ["export", "--db", "m.db", "--format", "csv", "--out", "-"],
    closedStdout: true,
    code: 2,
    stderr: /^skill-metrics: Writing standard output failed: .*EPIPE/,
    after: async (dir, _run, seeded) => {
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "--out onto a full device (ENOSPC) is exit 2 with the path and the cause; the device stays a device",
    setup: makeFullDevice,
    args: ["export", "--db", "m.db", "--out", "full"],
    code: 2,
    stderr: "skill-metrics: Writing full failed: ENOSPC: no space left on device, write",
    after: async (dir, _run, seeded) => {
      expect(lstatSync(join(dir, "full")).isCharacterDevice()).toBe(true);
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db", "full"]);
    },
  },
  {
    name: "report onto a full device fails too",
    setup: makeFullDevice,
    args: ["report", "--db", "m.db", "--out", "full"],
    code: 2,
    stderr: "skill-metrics: Writing full failed: ENOSPC: no space left on device, write",
    after: (dir) => {
      expect(lstatSync(join(dir, "full")).isCharacterDevice()).toBe(true);
      onlyFiles(dir, ["m.db", "full"]);
    },
  },
  {
    name: "--out onto a FIFO writes through it; the FIFO stays a FIFO",
    setup: (dir) => {
      expect(spawnSync("mkfifo", [join(dir, "pipe")]).status).toBe(0);
    },
    fifoReader: "pipe",
    args: ["export", "--db", "m.db", "--format", "ndjson", "--out", "pipe"],
    code: 0,
    stderr: "",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toMatch(/^Wrote 12 executions \(\d+ bytes\) to pipe\n$/);
      expect(isFifo(join(dir, "pipe"))).toBe(true);
      expect(readFileSync(join(dir, "pipe.out"), "utf8").trimEnd().split("\n")).toHaveLength(SEEDED);
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db", "pipe", "pipe.out"]);
    },
  },
  {
    name: "--out onto a symlink writes its target; the link stays a link",
    setup: (dir) => {
      writeFileSync(join(dir, "target.csv"), "old\n");
      symlinkSync("target.csv", join(dir, "out.csv"));
    },
    args: ["export", "--db", "m.db", "--out", "out.csv"],
    code: 0,
    stderr: "",
    after: async (dir, _run, seeded) => {
      expect(lstatSync(join(dir, "out.csv")).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, "target.csv"), "utf8").split("\r\n")[0]).toMatch(/^execution_id,/);
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db", "out.csv", "target.csv"]);
    },
  },
  {
    name: "--out onto a dangling symlink creates its target; the link stays a link",
    setup: (dir) => symlinkSync("made.json", join(dir, "dangling.json")),
    args: ["export", "--db", "m.db", "--format", "json", "--out", "dangling.json"],
    code: 0,
    stderr: "",
    after: (dir) => {
      expect(lstatSync(join(dir, "dangling.json")).isSymbolicLink()).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, "made.json"), "utf8"))).toHaveLength(SEEDED);
      onlyFiles(dir, ["m.db", "dangling.json", "made.json"]);
    },
  },
  {
    name: "--out onto a directory is refused",
    setup: (dir) => rmSync(join(dir, "sub"), { force: true }),
    args: ["export", "--db", "m.db", "--out", "."],
    code: 2,
    stderr: "skill-metrics: Cannot write .: it is a directory",
    after: (dir) => onlyFiles(dir, ["m.db"]),
  },
  {
    name: "--out /dev/stdout is written through to standard output; /dev/stdout stays a link",
    args: ["export", "--db", "m.db", "--format", "ndjson", "--out", "/dev/stdout"],
    code: 0,
    stderr: "",
    after: async (dir, run, seeded) => {
      const lines = run.stdout.trimEnd().split("\n");
      // The 12 records, then the summary line (stdout is the destination and the summary's stream alike).
      expect(lines).toHaveLength(SEEDED + 1);
      expect(JSON.parse(lines[0])).toMatchObject({ skill_id: "alpha" });
      expect(lines[SEEDED]).toMatch(/^Wrote 12 executions \(\d+ bytes\) to \/dev\/stdout$/);
      expect(lstatSync("/dev/stdout").isSymbolicLink()).toBe(true);
      // The run above had a socket as stdout (Node's spawn); a shell pipe and a shell redirection work alike.
      const piped = spawnSync("sh", ["-c", '"$0" "$1" export --db m.db --format ndjson --out /dev/stdout | cat', process.execPath, BIN], { cwd: dir, env: childEnv(), encoding: "utf8" });
      expect([piped.status, piped.stderr]).toEqual([0, ""]);
      expect(piped.stdout.trimEnd().split("\n")).toHaveLength(SEEDED + 1);
      const redirected = spawnSync("sh", ["-c", '"$0" "$1" export --db m.db --format ndjson --out /dev/stdout > redirected.ndjson', process.execPath, BIN], { cwd: dir, env: childEnv(), encoding: "utf8" });
      expect([redirected.status, redirected.stderr]).toEqual([0, ""]);
      expect(readFileSync(join(dir, "redirected.ndjson"), "utf8").trimEnd().split("\n")).toHaveLength(SEEDED + 1);
      rmSync(join(dir, "redirected.ndjson"));
      await databaseIntact(dir, seeded);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "--out into a missing directory fails without creating it",
    args: ["export", "--db", "m.db", "--out", "nodir/x.csv"],
    code: 2,
    stderr: /^skill-metrics: Cannot write nodir\/x\.csv: ENOENT/,
    after: (dir) => onlyFiles(dir, ["m.db"]),
  },

  // ── reading commands open read-only and create nothing ─────────────────────────────────────────────────
  ...(["profile", "errors --skill alpha", "export --out x.csv", "report --out x.html"] as const).map(
    (command): Case => ({
      name: `${command} on a missing database creates neither the file nor its directory`,
      args: [...command.split(" "), "--db", "nodir/m.db"],
      code: 2,
      stderr:
        'skill-metrics: No database at nodir/m.db: run "skill-metrics migrate --db nodir/m.db" to create one, or name an existing one with --db',
      after: (dir) => onlyFiles(dir, ["m.db"]),
    }),
  ),
  {
    name: "profile on a text file names it",
    setup: (dir) => writeFileSync(join(dir, "notes.txt"), "my notes\n"),
    args: ["profile", "--db", "notes.txt"],
    code: 2,
    stderr: "skill-metrics: notes.txt is not a SQLite database; name a skill-metrics database with --db",
    after: (dir) => {
      expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("my notes\n");
      onlyFiles(dir, ["m.db", "notes.txt"]);
    },
  },
  {
    name: "profile on an empty file",
    setup: (dir) => writeFileSync(join(dir, "empty.db"), ""),
    args: ["profile", "--db", "empty.db"],
    code: 2,
    stderr: 'skill-metrics: empty.db is empty, without the skill-metrics schema: run "skill-metrics migrate --db empty.db" to create it',
    after: (dir) => {
      expect(readFileSync(join(dir, "empty.db")).length).toBe(0);
      onlyFiles(dir, ["m.db", "empty.db"]);
    },
  },
  {
    name: "profile on another application's SQLite file adds no table and does not switch it to WAL",
    setup: (dir) => sql(join(dir, "other.db"), "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep');"),
    args: ["profile", "--db", "other.db"],
    code: 2,
    stderr:
      'skill-metrics: other.db has no skill-metrics schema: run "skill-metrics migrate --db other.db" if it is meant to hold metrics, or name another database',
    after: async (dir) => {
      const header = readFileSync(join(dir, "other.db")).subarray(0, 20);
      expect(header[18]).toBe(1); // still a rollback-journal database, not WAL
      onlyFiles(dir, ["m.db", "other.db"]);
      expect(await tablesOf(join(dir, "other.db"))).toEqual(["notes"]); // no skill-metrics table added
    },
  },
  {
    name: "export from a database with a newer schema names the migration",
    setup: (dir) => sql(join(dir, "m.db"), "INSERT INTO migrations (timestamp, name) VALUES (9999999999999, 'FromTheFuture9999999999999');"),
    args: ["export", "--db", "m.db", "--out", "x.csv"],
    code: 2,
    stderr: "skill-metrics: m.db has a newer skill-metrics schema (migration FromTheFuture9999999999999): upgrade skill-metrics to read it",
    after: (dir) => onlyFiles(dir, ["m.db"]),
  },
  {
    name: "a directory as --db",
    args: ["errors", "--skill", "alpha", "--db", "."],
    code: 2,
    stderr: "skill-metrics: . is not a database file (it is a directory); name one with --db",
    after: (dir) => onlyFiles(dir, ["m.db"]),
  },
  ...(["profile", "errors --skill alpha", "export --format stats --out s.json", "report --out r.html"] as const).map(
    (command): Case => ({
      name: `${command} on a WAL database leaves its bytes and its directory as they were`,
      args: [...command.split(" "), "--db", "m.db"],
      code: 0,
      stderr: "",
      after: async (dir, _run, seeded) => {
        await databaseIntact(dir, seeded);
        const out = command.split(" ").find((word) => /\.(json|html)$/.test(word));
        onlyFiles(dir, out ? ["m.db", out] : ["m.db"]);
      },
    }),
  ),

  // ── one strict timestamp reading ────────────────────────────────────────────────────────────────────────
  ...["1", "March 2", "2026-02-30", "+010000-01-01T00:00:00Z", "2026-11-27T08:00:00", "2026-11-27T24:00:00Z", "9999-12-31T23:59:59-01:00"].map(
    (value): Case => ({
      name: `--from ${JSON.stringify(value)} is refused`,
      args: ["export", "--db", "m.db", "--out", "x.csv", "--from", value],
      code: 1,
      stderr: `skill-metrics: --from must be an ISO-8601 date or time with a zone (2026-11-27, 2026-11-27T08:00:00Z) naming a real date in years 0000-9999, got "${value}"`,
      after: async (dir, _run, seeded) => {
        await databaseIntact(dir, seeded);
        onlyFiles(dir, ["m.db"]);
      },
    }),
  ),
  {
    name: "--from with an offset is normalised to UTC",
    args: ["export", "--db", "m.db", "--format", "ndjson", "--out", "-", "--from", "2026-11-27T13:00:00.006+01:00"],
    code: 0,
    stderr: /^Wrote 6 executions/,
    after: (_dir, run) => expect(run.stdout.trimEnd().split("\n")).toHaveLength(6),
  },

  // ── import: header, strict JSON, UTF-8, sizes, syntax errors (CSV, JSON, NDJSON) ──────────────────────────
  ...[false, true].map(
    (strict): Case => ({
      name: `CSV with a duplicate header column is refused whole${strict ? " (strict)" : ""}`,
      setup: (dir) => writeFileSync(join(dir, "dup.csv"), CSV_HEADER.replace(",job_id,", ",skill_id,") + encodeCsvRow(rec(1), true)),
      args: ["import", "dup.csv", "--db", "i.db", ...(strict ? ["--strict"] : [])],
      code: 2,
      stderr: /^skill-metrics: Invalid CSV header: field "skill_id" = "skill_id" breaks rule "duplicateColumn": appears 2 times in the header \(columns 3, 4\)$/,
      after: imported(0, ["dup.csv"]),
    }),
  ),
  {
    name: "CSV with an unknown column, non-strict: imported without it, the column reported",
    setup: (dir) => writeFileSync(join(dir, "extra.csv"), csvOf([rec(1), rec(2)]).replace(/\r\n/g, ",x\r\n").replace(/,x\r\n/, ",bogus\r\n")),
    args: ["import", "extra.csv", "--db", "i.db"],
    code: 0,
    stderr: "",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 0.");
      expect(run.stdout).toContain("Ignored columns that are not execution_metrics columns: bogus (--strict refuses them).");
      await imported(2, ["extra.csv"])(dir, run, seeded);
    },
  },
  {
    name: "CSV with an unknown column, strict: refused, nothing written",
    setup: (dir) => writeFileSync(join(dir, "extra.csv"), csvOf([rec(1)]).replace(/\r\n/g, ",x\r\n").replace(/,x\r\n/, ",bogus\r\n")),
    args: ["import", "extra.csv", "--db", "i.db", "--strict"],
    code: 2,
    stderr: /^skill-metrics: Invalid CSV header on line 1 \(strict import: nothing was written\): field "bogus" .*"unknownColumn"/,
    after: imported(0, ["extra.csv"]),
  },
  {
    name: "JSON with a trailing comma, non-strict: stops there, the records before it committed",
    setup: (dir) => writeFileSync(join(dir, "trail.json"), jsonOf([rec(1), rec(2)]).replace("\n]", ",\n]")),
    args: ["import", "trail.json", "--db", "i.db"],
    code: 2,
    stderr:
      'skill-metrics: import stopped at line 4: JSON line 4 column 1: a trailing comma before "]"; the valid records up to line 3 are committed. Repair the file and import it again: committed records are skipped.',
    after: imported(2, ["trail.json"]),
  },
  {
    name: "JSON with a trailing comma, strict: refused, nothing written",
    setup: (dir) => writeFileSync(join(dir, "trail.json"), jsonOf([rec(1), rec(2)]).replace("\n]", ",\n]")),
    args: ["import", "trail.json", "--db", "i.db", "--strict"],
    code: 2,
    stderr: /^skill-metrics: Invalid JSON file \(strict import: nothing was written\): .*"syntax": JSON line 4 column 1: a trailing comma before "\]"$/,
    after: imported(0, ["trail.json"]),
  },
  {
    name: "JSON with a comment between elements: a syntax error at its line and column",
    setup: (dir) => writeFileSync(join(dir, "comment.json"), jsonOf([rec(1), rec(2)]).replace(",\n{", ",\n  /* two */ {")),
    args: ["import", "comment.json", "--db", "i.db"],
    code: 2,
    stderr: /^skill-metrics: import stopped at line 3: JSON line 3 column 3: comments are not JSON; the valid records up to line 2 are committed\./,
    after: imported(1, ["comment.json"]),
  },
  {
    name: "JSON with a comment inside a record: that record refused at its line and column",
    setup: (dir) => writeFileSync(join(dir, "inner.json"), jsonOf([rec(1), rec(2)]).replace(',"metric_version"', ' /* c */,"metric_version"')),
    args: ["import", "inner.json", "--db", "i.db", "--json"],
    code: 2,
    stderr: "",
    after: async (dir, run, seeded) => {
      const report = JSON.parse(run.stdout) as { imported: number; invalid: { line: number; rule: string; message: string }[] };
      expect(report.imported).toBe(1);
      expect(report.invalid).toEqual([expect.objectContaining({ line: 2, rule: "json" })]);
      expect(report.invalid[0].message).toMatch(/^is not valid JSON \(line 2 column 56\): /);
      await imported(1, ["inner.json"])(dir, run, seeded);
    },
  },
  {
    name: "NDJSON with a malformed line, non-strict: that line reported invalid at its line, the others imported",
    setup: (dir) => writeFileSync(join(dir, "broken.ndjson"), ndjsonOf([rec(1), rec(2), rec(3)]).replace('{"execution_id"', '{"execution_id":,')),
    args: ["import", "broken.ndjson", "--db", "i.db", "--json"],
    code: 2,
    stderr: "",
    after: async (dir, run, seeded) => {
      const report = JSON.parse(run.stdout) as { imported: number; invalid: { line: number; rule: string }[] };
      expect(report.imported).toBe(2);
      expect(report.invalid).toEqual([expect.objectContaining({ line: 1, rule: "json" })]);
      await imported(2, ["broken.ndjson"])(dir, run, seeded);
    },
  },
  {
    name: "NDJSON with a malformed line, strict: refused, nothing written",
    setup: (dir) => writeFileSync(join(dir, "broken.ndjson"), ndjsonOf([rec(1), rec(2)]).replace('{"execution_id"', '{"execution_id":,')),
    args: ["import", "broken.ndjson", "--db", "i.db", "--strict"],
    code: 2,
    stderr: /^skill-metrics: .*strict import: nothing was written.*line 1/,
    after: imported(0, ["broken.ndjson"]),
  },
  {
    name: "NDJSON with an invalid UTF-8 byte: stops with its byte offset and line",
    setup: (dir) => {
      const text = ndjsonOf([rec(1), rec(2)]);
      const bytes = Buffer.from(text, "utf8");
      const at = text.indexOf("imported", text.indexOf("\n")); // the second line's skill_id
      bytes[at] = 0xff;
      writeFileSync(join(dir, "bad.ndjson"), bytes);
    },
    args: ["import", "bad.ndjson", "--db", "i.db"],
    code: 2,
    stderr: /^skill-metrics: import stopped at line 2: invalid UTF-8 at byte offset \d+ \(line 2\): byte 0xff does not start or continue a UTF-8 character; the valid records up to line 1 are committed\./,
    after: imported(1, ["bad.ndjson"]),
  },
  {
    name: "CSV whose last UTF-8 character is cut at the end of the file",
    setup: (dir) => writeFileSync(join(dir, "cut.csv"), Buffer.concat([Buffer.from(csvOf([rec(1)]).replace(/\r\n$/, ",")), Buffer.from([0xe2, 0x82])])),
    args: ["import", "cut.csv", "--db", "i.db", "--strict"],
    code: 2,
    stderr: /^skill-metrics: Invalid CSV file \(strict import: nothing was written\): .*invalid UTF-8 at byte offset \d+ \(line 2\): the file ends inside a 3-byte UTF-8 character$/,
    after: imported(0, ["cut.csv"]),
  },
  {
    name: "JSON with invalid UTF-8, strict: refused, nothing written",
    setup: (dir) => writeFileSync(join(dir, "bad.json"), Buffer.concat([Buffer.from(jsonOf([rec(1)]).slice(0, 30)), Buffer.from([0xc0, 0xaf]), Buffer.from(jsonOf([rec(1)]).slice(30))])),
    args: ["import", "bad.json", "--db", "i.db", "--strict"],
    code: 2,
    stderr: /^skill-metrics: Invalid JSON file .*invalid UTF-8 at byte offset 30 \(line 2\): byte 0xc0/,
    after: imported(0, ["bad.json"]),
  },
  {
    name: "CSV syntax error after 1,500 valid rows, non-strict: stops, 1,500 committed, the report says so; a re-run of the repaired file finishes",
    setup: (dir) => {
      const rows = Array.from({ length: 1600 }, (_, i) => rec(i));
      writeFileSync(join(dir, "broken.csv"), csvOf(rows.slice(0, 1500)) + 'x"y' + encodeCsvRow(rows[1500], true).slice(3) + csvOf(rows.slice(1501)).slice(CSV_HEADER.length));
    },
    args: ["import", "broken.csv", "--db", "i.db"],
    code: 2,
    stderr:
      "skill-metrics: import stopped at line 1502: CSV line 1502: a quote inside an unquoted cell; the valid records up to line 1501 are committed. Repair the file and import it again: committed records are skipped.",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toContain("Imported 1500, skipped 0 (already present), invalid 0.");
      await imported(1500, ["broken.csv"])(dir, run, seeded);
      writeFileSync(join(dir, "broken.csv"), csvOf(Array.from({ length: 1600 }, (_, i) => rec(i))));
      const again = cli(["import", "broken.csv", "--db", "i.db"], dir);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("Imported 100, skipped 1500 (already present), invalid 0.");
    },
  },
  {
    name: "NDJSON line longer than the record limit (8 Mi UTF-16 units): that record refused, the rest imported",
    setup: (dir) => writeFileSync(join(dir, "long.ndjson"), ndjsonOf([rec(1), { ...rec(2), notes: "n".repeat(9 * 1024 * 1024) }, rec(3)])),
    args: ["import", "long.ndjson", "--db", "i.db"],
    code: 2,
    stderr: "",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
      expect(run.stdout).toMatch(/\n\s*2\s+\(record\)\s+recordTooLong\s+is longer than 8388608 UTF-16 code units/);
      await imported(2, ["long.ndjson"])(dir, run, seeded);
    },
  },
  {
    name: "CSV cell longer than the field limit (4 Mi UTF-16 units): that record refused, the rest imported",
    setup: (dir) => writeFileSync(join(dir, "cell.csv"), csvOf([rec(1), { ...rec(2), notes: "n".repeat(5 * 1024 * 1024) }, rec(3)])),
    args: ["import", "cell.csv", "--db", "i.db"],
    code: 2,
    stderr: "",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
      expect(run.stdout).toMatch(/\n\s*3\s+\(record\)\s+fieldTooLong\s+has a cell longer than 4194304 UTF-16 code units/);
      await imported(2, ["cell.csv"])(dir, run, seeded);
    },
  },

  ...(
    [
      ["CSV", "ts.csv", csvOf],
      ["JSON", "ts.json", jsonOf],
      ["NDJSON", "ts.ndjson", ndjsonOf],
    ] as const
  ).map(
    ([format, file, encode]): Case => ({
      name: `${format} with a timestamp whose offset carries it past year 9999: that record refused, naming the value`,
      setup: (dir) => writeFileSync(join(dir, file), encode([rec(1), { ...rec(2), completed_at: "9999-12-31T23:59:59-01:00" }, rec(3)])),
      args: ["import", file, "--db", "i.db"],
      code: 2,
      stderr: "",
      after: async (dir, run, seeded) => {
        expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
        expect(run.stdout).toMatch(/\n\s*\d+\s+completed_at\s+isoInstant\s+.*years 0000-9999 UTC, got "9999-12-31T23:59:59-01:00"/);
        await imported(2, [file])(dir, run, seeded);
      },
    }),
  ),
  ...(
    [
      ["JSON", "unknown.json", jsonOf],
      ["NDJSON", "unknown.ndjson", ndjsonOf],
    ] as const
  ).map(
    ([format, file, encode]): Case => ({
      name: `${format} record with an unknown key: that record refused, the rest imported`,
      setup: (dir) => writeFileSync(join(dir, file), encode([rec(1), { ...rec(2), bogus: 1 }, rec(3)])),
      args: ["import", file, "--db", "i.db"],
      code: 2,
      stderr: "",
      after: async (dir, run, seeded) => {
        expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
        expect(run.stdout).toMatch(/\n\s*\d+\s+bogus\s+unknownField\s+is not a column of execution_metrics/);
        await imported(2, [file])(dir, run, seeded);
      },
    }),
  ),
  {
    name: "JSON element longer than the record limit (8 Mi UTF-16 units): that record refused, the rest imported",
    setup: (dir) => writeFileSync(join(dir, "long.json"), jsonOf([rec(1), { ...rec(2), notes: "n".repeat(9 * 1024 * 1024) }, rec(3)])),
    args: ["import", "long.json", "--db", "i.db"],
    code: 2,
    stderr: "",
    after: async (dir, run, seeded) => {
      expect(run.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
      expect(run.stdout).toMatch(/\n\s*\d+\s+\(record\)\s+recordTooLong\s+is longer than 8388608 UTF-16 code units/);
      await imported(2, ["long.json"])(dir, run, seeded);
    },
  },

  // ── messages ────────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "errors of an unknown skill",
    args: ["errors", "--skill", "nosuch", "--db", "m.db"],
    code: 2,
    stderr: "skill-metrics: no executions of skill 'nosuch'",
    after: (_dir, run) => expect(run.stdout).toBe(""),
  },
  {
    name: "profile of an unknown skill",
    args: ["profile", "--skill", "nosuch", "--db", "m.db"],
    code: 2,
    stderr: "skill-metrics: no executions of skill 'nosuch'",
    after: (_dir, run) => expect(run.stdout).toBe(""),
  },
  {
    name: "the top-level help lists every option of every command",
    args: ["--help"],
    code: 0,
    stderr: "",
    after: (dir, run) => {
      const names = [GLOBAL, ...Object.values(COMMANDS).map((c) => c.options)].flatMap((options) => Object.keys(options));
      expect(names).toEqual(expect.arrayContaining(["keep-formulas", "json", "batch-size", "seed", "force"]));
      for (const name of names) expect(run.stdout).toContain(`--${name}`);
      onlyFiles(dir, ["m.db"]);
    },
  },
  {
    name: "an option of another command, in our words, then the command's usage",
    args: ["profile", "--limit", "3", "--db", "m.db"],
    code: 1,
    stderr: "skill-metrics: unknown option --limit for profile",
    after: (_dir, run) => expect(run.stderr.split("\n").slice(1).join("\n")).toContain("Usage: skill-metrics profile"),
  },
];

describe("skill-metrics CLI on hostile paths and input (built bin)", () => {
  let seedDir: string;
  let dir: string;
  let seededSha: string;

  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    seedDir = mkdtempSync(join(tmpdir(), "skill-metrics-hostile-seed-"));
    // Two skills, six rows each, 1 ms apart from 2026-11-27T12:00:00.000Z.
    const rows = Array.from({ length: SEEDED }, (_, i) => makeRow(i, 16, { skill_id: i % 2 === 0 ? "alpha" : "beta" }));
    writeFileSync(join(seedDir, "seed.ndjson"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const seeded = cli(["import", "seed.ndjson", "--db", "m.db"], seedDir);
    expect(seeded.stderr).toBe("");
    expect(seeded.code).toBe(0);
    seededSha = sha(join(seedDir, "m.db"));
  });
  afterAll(() => rmSync(seedDir, { recursive: true, force: true }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-hostile-"));
    copyFileSync(join(seedDir, "m.db"), join(dir, "m.db"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a CSV with one 200 MB cell is refused record by record in bounded memory (peak RSS of the child < 1 GB)", () => {
    const file = join(dir, "huge.csv");
    const row = encodeCsvRow({ ...rec(2), notes: "NOTES" }, true);
    const [before, after] = row.split("NOTES");
    const block = Buffer.alloc(1024 * 1024, "n");
    writeFileSync(file, CSV_HEADER + encodeCsvRow(rec(1), true) + before);
    for (let i = 0; i < 200; i++) writeFileSync(file, block, { flag: "a" });
    writeFileSync(file, after + encodeCsvRow(rec(3), true), { flag: "a" });
    const script = join(__dirname, "../../fixtures-scripts/cli-peak-rss.js");
    const result = spawnSync(process.execPath, [script, "import", "huge.csv", "--db", "i.db"], { cwd: dir, env: childEnv(), encoding: "utf8" });
    expect(result.stdout).toContain("Imported 2, skipped 0 (already present), invalid 1.");
    expect(result.stdout).toMatch(/\n\s*3\s+\(record\)\s+fieldTooLong/);
    expect(result.status).toBe(2);
    const peak = Number(/peak-rss-kb (\d+)/.exec(result.stderr)?.[1]);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(1024 * 1024); // kilobytes: 1 GB
    process.stdout.write(`200 MB cell import: peak RSS ${Math.round(peak / 1024)} MB\n`);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await c.setup?.(dir);
    const shaBefore = sha(join(dir, "m.db"));
    const draining = c.fifoReader ? drainFifo(join(dir, c.fifoReader), join(dir, `${c.fifoReader}.out`)) : undefined;
    const run = c.closedStdout ? await cliWithClosedStdout(c.args, dir) : cli(c.args, dir);
    await draining;
    const firstLine = run.stderr.split("\n")[0];
    if (typeof c.stderr === "string") expect(firstLine).toBe(c.stderr);
    else expect(firstLine).toMatch(c.stderr);
    expect(run.code).toBe(c.code);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    await c.after(dir, run, shaBefore === seededSha ? seededSha : shaBefore);
  });
});
