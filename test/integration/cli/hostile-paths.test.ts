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
    name: "--out /dev/full (ENOSPC) is exit 2 with the path and the cause",
    args: ["export", "--db", "m.db", "--out", "/dev/full"],
    code: 2,
    stderr: "skill-metrics: Writing /dev/full failed: ENOSPC: no space left on device, write",
    after: async (dir, _run, seeded) => {
      expect(lstatSync("/dev/full").isCharacterDevice()).toBe(true);
      await databaseIntact(dir, seeded);
    },
  },
  {
    name: "report --out /dev/full fails too",
    args: ["report", "--db", "m.db", "--out", "/dev/full"],
    code: 2,
    stderr: "skill-metrics: Writing /dev/full failed: ENOSPC: no space left on device, write",
    after: (dir) => onlyFiles(dir, ["m.db"]),
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
    after: (dir) => {
      const header = readFileSync(join(dir, "other.db")).subarray(0, 20);
      expect(header[18]).toBe(1); // still a rollback-journal database, not WAL
      onlyFiles(dir, ["m.db", "other.db"]);
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
