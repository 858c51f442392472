import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Client as PgClient } from "pg";

/**
 * A PRIVATE throwaway PostgreSQL cluster for tests that stop, restart, freeze or starve the server: the shared
 * cluster of scripts/with-postgres.sh serves the other postgres test files in parallel workers and must never
 * be touched by them.
 *
 * Like with-postgres.sh: initdb in a fresh temporary directory (as the `postgres` user when running as root,
 * since initdb refuses root), trust authentication, a free loopback port, the socket in that directory,
 * durability off (fsync, synchronous_commit, full_page_writes). The locale is C.UTF-8 (these tests do not
 * compare collations). One database, `skill_metrics_faults`, is created; `createDatabase()` adds more.
 */

const run = promisify(execFile);

/** Connections opened by the helper itself carry this application_name, so terminateBackends() spares them. */
const HELPER_APPLICATION = "private-cluster-helper";

const MISSING_BINARIES =
  "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package or set PG_BIN.";

/** The directory of initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH; null if none. */
export function findPgBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    const versions = fs
      .readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // No Debian layout.
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    if (isExecutable(path.join(dir, "initdb")) && isExecutable(path.join(dir, "pg_ctl"))) return dir;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why a private cluster cannot be made here, or null when it can (binaries found, a non-root user to run as). */
export function privateClusterUnavailable(): string | null {
  if (findPgBin() === null) return MISSING_BINARIES;
  if (process.getuid?.() === 0) {
    const user = process.env.PG_RUN_AS ?? "postgres";
    try {
      require("node:child_process").execFileSync("id", ["-u", user], { stdio: "ignore" });
    } catch {
      return `running as root and user '${user}' does not exist (set PG_RUN_AS to a non-root user).`;
    }
  }
  return null;
}

let warned = false;

/**
 * `describe` for tests that need a private cluster. When PostgreSQL cannot be run here: under CI=true one
 * failing test that says why (never a silent skip in CI); elsewhere a skipped block and one visible warning —
 * as describePg in pg-database.ts. A cluster that can be run but fails to start fails the tests everywhere.
 */
export function describePrivateCluster(name: string, body: () => void): void {
  const why = privateClusterUnavailable();
  if (why === null) {
    describe(`${name} [private postgres]`, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(`${name} [private postgres]`, () => {
      it("needs a private PostgreSQL cluster", () => {
        throw new Error(why);
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    // eslint-disable-next-line no-console
    console.warn(`private-cluster postgres tests SKIPPED: ${why}`);
  }
  describe.skip(`${name} [private postgres]`, body);
}

export interface PrivateClusterOptions {
  /** The server's max_connections. Default 40. */
  maxConnections?: number;
  /** Part of the temporary directory's name. Default "faults". */
  label?: string;
}

/** Stop modes of pg_ctl: smart waits for clients, fast disconnects them, immediate aborts without a checkpoint. */
export type StopMode = "smart" | "fast" | "immediate";

export class PrivateCluster {
  /** postgres:// URL of the database `skill_metrics_faults`. */
  readonly url: string;
  /** postgres:// URL of the maintenance database `postgres`. */
  readonly adminUrl: string;
  private running = false;
  private frozen: number[] = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly runAs: string[],
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/skill_metrics_faults`;
    this.adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** initdb, start, CREATE DATABASE skill_metrics_faults. Destroys what it made if any step fails. */
  static async create(options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
    const why = privateClusterUnavailable();
    if (why !== null) throw new Error(why);
    const bin = findPgBin() as string;
    const maxConnections = options.maxConnections ?? 40;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `skill-metrics-pg-${options.label ?? "faults"}-`));
    fs.chmodSync(dir, 0o700);
    let runAs: string[] = [];
    if (process.getuid?.() === 0) {
      const user = process.env.PG_RUN_AS ?? "postgres";
      const { stdout } = await run("id", ["-u", user]);
      fs.chownSync(dir, Number(stdout.trim()), -1);
      runAs = ["runuser", "-u", user, "--"];
    }
    const cluster = new PrivateCluster(dir, await freePort(), bin, runAs);
    try {
      await cluster.pg("initdb", ["-D", cluster.dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
        "--locale=C.UTF-8", "--no-sync"], "initdb.log");
      // Settings in postgresql.conf (not pg_ctl -o) so that start() after stop() gets them again.
      const settings = [
        "listen_addresses = '127.0.0.1'",
        `port = ${cluster.port}`,
        `unix_socket_directories = '${dir}'`,
        `max_connections = ${maxConnections}`,
        "superuser_reserved_connections = 0",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "shared_buffers = 16MB",
      ];
      fs.appendFileSync(path.join(cluster.dataDir, "postgresql.conf"), `\n# private-cluster.ts\n${settings.join("\n")}\n`);
      await cluster.start();
      await cluster.admin("CREATE DATABASE skill_metrics_faults");
      return cluster;
    } catch (error) {
      await cluster.destroy().catch(() => undefined);
      throw error;
    }
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  /** postgres:// URL of another database on this server (see createDatabase). */
  urlOf(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates an empty database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    await this.admin(`CREATE DATABASE "${name}"`);
    return this.urlOf(name);
  }

  /** Starts the server (pg_ctl start -w); resolves once it accepts connections. */
  async start(): Promise<void> {
    await this.pg("pg_ctl", ["-D", this.dataDir, "-l", path.join(this.dir, "server.log"), "-w", "-t", "60", "start"]);
    this.running = true;
  }

  /** Stops the server (pg_ctl stop -w). `fast` (default) disconnects clients; `immediate` aborts. */
  async stop(mode: StopMode = "fast"): Promise<void> {
    this.thaw();
    await this.pg("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "60", "stop"]);
    this.running = false;
  }

  /** stop("fast") then start(). */
  async restart(): Promise<void> {
    await this.stop("fast");
    await this.start();
  }

  /**
   * SIGSTOP to the postmaster and all its children (backends and background processes): the server holds its
   * sockets open but answers nothing, as a hung host would. New TCP connections still complete in the kernel.
   */
  freeze(): void {
    if (this.frozen.length > 0) return;
    const postmaster = this.postmasterPid();
    // The postmaster first, so it cannot fork children we would miss.
    process.kill(postmaster, "SIGSTOP");
    const pids = [postmaster, ...childrenOf(postmaster)];
    for (const pid of pids.slice(1)) {
      try {
        process.kill(pid, "SIGSTOP");
      } catch {
        // Exited meanwhile.
      }
    }
    this.frozen = pids;
  }

  /** SIGCONT to every process freeze() stopped. */
  thaw(): void {
    for (const pid of this.frozen) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Exited meanwhile.
      }
    }
    this.frozen = [];
  }

  /** pg_terminate_backend() of every client backend but the helper's own; returns how many were terminated. */
  async terminateBackends(): Promise<number> {
    const client = await this.connect(this.adminUrl);
    try {
      const result = await client.query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND application_name IS DISTINCT FROM $1`,
        [HELPER_APPLICATION],
      );
      return Number(result.rows[0].n);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Holds `LOCK TABLE name IN ACCESS EXCLUSIVE MODE` in an open transaction on a connection of its own until the
   * returned function is called (it rolls back and disconnects). `database`: URL, default `url`.
   */
  async lockTable(name: string, database = this.url): Promise<() => Promise<void>> {
    const client = await this.connect(database);
    try {
      await client.query("BEGIN");
      await client.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return async () => {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end().catch(() => undefined);
    };
  }

  /**
   * Opens connections until the server refuses one with "sorry, too many clients already" (SQLSTATE 53300)
   * and holds them until the returned function is called. Fails if the server never refuses (1,000 opened).
   */
  async exhaustConnections(): Promise<() => Promise<void>> {
    const held: PgClient[] = [];
    const release = async () => {
      await Promise.all(held.map((c) => c.end().catch(() => undefined)));
      held.length = 0;
    };
    try {
      for (;;) {
        if (held.length >= 1000) throw new Error("exhaustConnections: 1,000 connections and no refusal");
        try {
          held.push(await this.connect(this.adminUrl));
        } catch (error) {
          if ((error as { code?: string }).code === "53300") return release;
          throw error;
        }
      }
    } catch (error) {
      await release();
      throw error;
    }
  }

  /** The server log (for failure messages). */
  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "server.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** Thaws, stops the server at once (-m immediate) if it runs, and removes the directory. Never throws. */
  async destroy(): Promise<void> {
    this.thaw();
    if (this.running || fs.existsSync(path.join(this.dataDir, "postmaster.pid"))) {
      await this.pg("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "-t", "30", "stop"]).catch(() => undefined);
      this.running = false;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A connected pg Client, tagged as the helper's own. */
  async connect(url: string): Promise<PgClient> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as typeof import("pg");
    const client = new Client({ connectionString: url, application_name: HELPER_APPLICATION, connectionTimeoutMillis: 10_000 });
    client.on("error", () => undefined); // a terminated helper connection must not crash the test process
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** One statement on the maintenance database. */
  async admin(sql: string): Promise<void> {
    const client = await this.connect(this.adminUrl);
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private postmasterPid(): number {
    const text = fs.readFileSync(path.join(this.dataDir, "postmaster.pid"), "utf8");
    const pid = Number(text.split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad postmaster.pid: ${JSON.stringify(text.slice(0, 40))}`);
    return pid;
  }

  /** Runs a server binary as the cluster's owner; the error names the command and shows its output. */
  private async pg(program: string, args: string[], logName?: string): Promise<void> {
    const command = [...this.runAs, path.join(this.bin, program), ...args];
    try {
      const { stdout, stderr } = await run(command[0], command.slice(1), { timeout: 90_000 });
      if (logName) fs.writeFileSync(path.join(this.dir, logName), stdout + stderr);
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `${program} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}\n${program === "pg_ctl" ? this.log() : ""}`,
      );
    }
  }
}

/** The direct children of a process (pgrep -P). */
function childrenOf(pid: number): number[] {
  try {
    const out = require("node:child_process").execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }) as string;
    return out.split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

/** A TCP port free on the loopback interface right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
