import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { StorageError } from "../errors";
import { isStoredRow } from "../model/stored-row";

/** Infix of a spill file taken over by a replay: `<spill>.replaying-<pid>-<n>`. */
const REPLAYING_INFIX = ".replaying-";
/** Infix of a sync-spill journal: `<spill>.journal-<pid>`. */
const JOURNAL_INFIX = ".journal-";
/** Suffix of the file that says how many lines of a stopped replay are done: `<spill>.replaying-….done`. */
const PROGRESS_SUFFIX = ".done";
/** Suffix of the file that keeps spill lines a replay could not use, for a human to look at. */
const REJECTED_SUFFIX = ".rejected";

let replayCounter = 0;

/** What a replay did. */
export interface ReplayResult {
  /** Rows handed to the store in batches it accepted (rows already stored are skipped by the store). */
  readonly rows: number;
  /** Lines skipped because they were not a valid row (a line cut by a crash mid-append, a hand edit…). */
  readonly rejectedLines: number;
  /** False when `shouldStop` ended the replay early: the file is kept, with a note of how far it got, for the next one. */
  readonly complete: boolean;
}

/** How a replay hands rows over and when it stops. */
interface ReplayHandlers {
  insert(rows: ExecutionMetricRow[]): Promise<void>;
  onProblem(error: unknown): void;
  shouldStop?(): boolean;
}

/**
 * The append-only NDJSON spill file: one stored-form row per line.
 *
 * Appends are synchronous (they run in `process.on("exit")` too) and fsync'd. A replay first renames the file
 * to a unique `.replaying-…` name, so rows spilled while it runs go to a fresh file and are not lost; the
 * renamed file is deleted only after all its rows are stored, so a crash mid-replay leaves it for the next
 * replay, and the idempotent store (ON CONFLICT DO NOTHING on execution_id) makes replaying twice harmless.
 * Several processes may share one spill file: see {@link SpillFile.append} for the race it closes.
 */
export class SpillFile {
  /**
   * @param path the spill file.
   * @param completeRecord what a line that is not a stored row becomes (throwing when it is not a valid
   *   record): the collector passes validateMetricRecord, which fills defaults and normalizes; without it such
   *   lines are refused. Passed in so that recording never loads the validation of the entity classes.
   */
  constructor(
    readonly path: string,
    private readonly completeRecord?: (value: unknown) => ExecutionMetricRow,
  ) {}

  /** The journal file that a process with this pid keeps in `sync-spill` durability. */
  journalPathFor(pid: number): string {
    return `${this.path}${JOURNAL_INFIX}${pid}`;
  }

  /** True when a spill file, a replay left over by a crash, or a dead process's journal waits to be replayed. */
  hasPendingRows(): boolean {
    return fs.existsSync(this.path) || this.leftovers().length > 0;
  }

  /**
   * Appends rows before returning; with `durable` (the default) also fsync'd, so they survive an OS crash.
   * Without it they survive the process's own death (they are in the kernel's page cache), like a commit
   * under SQLite's `synchronous=NORMAL`: the recorder appends queue overflow so, once per tick, where an
   * fsync per batch would cost the application's thread milliseconds during a burst.
   *
   * When another process renames the file for a replay between our open and our write, the rows land in the
   * renamed file, which that replay may already have read. Checking afterwards that the path still names
   * the file we wrote to, and writing again if not, means a row is at worst replayed twice, never lost.
   *
   * @throws StorageError when the file cannot be written (the caller keeps or counts the rows).
   */
  append(rows: readonly ExecutionMetricRow[], durable = true): void {
    if (rows.length === 0) return;
    let text = "";
    for (const row of rows) text += JSON.stringify(row) + "\n";
    try {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      for (let attempt = 0; attempt < 5; attempt++) {
        const fd = fs.openSync(this.path, "a+");
        try {
          writeAfterCompleteLine(fd, text);
          if (durable) fs.fsyncSync(fd);
          const written = fs.fstatSync(fd);
          const current = statOrNull(this.path);
          if (current && current.ino === written.ino && current.dev === written.dev) return;
        } finally {
          fs.closeSync(fd);
        }
      }
      throw new Error("the spill file kept being renamed by concurrent replays");
    } catch (error) {
      throw new StorageError(`Could not append ${rows.length} metric rows to the spill file ${this.path}`, error);
    }
  }

  /**
   * Stores every row waiting in this spill file, in crash leftovers of earlier replays, and in journals of
   * processes that are no longer running; deletes each file once all its rows are stored.
   *
   * @param insert stores one batch (the recorder's store); when it rejects, the replay stops and the file being
   *   replayed stays for the next attempt.
   * @param onProblem receives one error per file that had unusable lines (they are moved to `<spill>.rejected`).
   * @param shouldStop asked before each batch: true ends the replay there (e.g. on shutdown). The file stopped
   *   part-way is kept, with a note of how far it got: its next replay resumes there.
   */
  async replay(
    insert: (rows: ExecutionMetricRow[]) => Promise<void>,
    batchSize: number,
    onProblem: (error: unknown) => void,
    shouldStop?: () => boolean,
  ): Promise<ReplayResult> {
    const handlers: ReplayHandlers = { insert, onProblem, shouldStop };
    const files = this.leftovers();
    const taken = `${this.path}${REPLAYING_INFIX}${process.pid}-${Date.now()}-${replayCounter++}`;
    try {
      fs.renameSync(this.path, taken);
      files.push(taken);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new StorageError(`Could not take over the spill file ${this.path}`, error);
    }
    let rows = 0;
    let rejectedLines = 0;
    for (const file of files) {
      const result = await this.replayFile(file, handlers, batchSize);
      rows += result.rows;
      rejectedLines += result.rejectedLines;
      if (!result.complete) return { rows, rejectedLines, complete: false };
      try {
        fs.unlinkSync(file);
      } catch (error) {
        // Another process replaying the same leftover deleted it first: its rows are stored either way.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return { rows, rejectedLines, complete: true };
  }

  /**
   * Keeps rows the database refused one by one in `<spill>.rejected`, each line `{ "reason", "line" }` with the
   * row's JSON as `line`, so that they never block a replay again and a person can look at them.
   *
   * @throws StorageError when the file cannot be written.
   */
  quarantine(entries: readonly { reason: string; line: string }[]): void {
    if (entries.length === 0) return;
    try {
      fs.appendFileSync(this.rejectedPath, entries.map((entry) => JSON.stringify(entry) + "\n").join(""));
    } catch (error) {
      throw new StorageError(`Could not append ${entries.length} refused rows to ${this.rejectedPath}`, error);
    }
  }

  /** Where refused rows and unusable lines are kept: `<spill>.rejected`. */
  get rejectedPath(): string {
    return `${this.path}${REJECTED_SUFFIX}`;
  }

  /**
   * Replays one file. A replay that stops early (shutdown, or the database failing) writes how many lines are
   * done to `<file>.done` — every line up to there stored or quarantined — so the next replay of the file
   * resumes there instead of sending a backlog's first part again.
   */
  private async replayFile(file: string, handlers: ReplayHandlers, batchSize: number): Promise<ReplayResult> {
    let input: fs.ReadStream;
    try {
      input = fs.createReadStream(file, { encoding: "utf8" });
      await new Promise<void>((resolve, reject) => input.once("open", () => resolve()).once("error", reject));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { rows: 0, rejectedLines: 0, complete: true };
      throw new StorageError(`Could not read the spill file ${file}`, error);
    }
    const progressPath = `${file}${PROGRESS_SUFFIX}`;
    const alreadyDone = readProgress(progressPath);
    const rejected: { reason: string; line: string; lineNumber: number }[] = [];
    let batch: ExecutionMetricRow[] = [];
    let rows = 0;
    let lineNumber = 0;
    let doneThrough = alreadyDone;
    let complete = false;
    let moved = 0;
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    const stopped = () => handlers.shouldStop?.() === true;
    const insertBatch = async () => {
      await handlers.insert(batch);
      rows += batch.length;
      batch = [];
      doneThrough = lineNumber;
    };
    try {
      read: {
        for await (const line of lines) {
          lineNumber++;
          if (lineNumber <= alreadyDone || line.trim() === "") continue;
          const parsed = parseLine(line, this.completeRecord);
          if (typeof parsed === "string") {
            rejected.push({ reason: parsed, line, lineNumber });
            continue;
          }
          batch.push(parsed);
          if (batch.length >= batchSize) {
            if (stopped()) break read;
            await insertBatch();
          }
        }
        if (batch.length > 0) {
          if (stopped()) break read;
          await insertBatch();
        }
        doneThrough = lineNumber;
        complete = true;
      }
    } finally {
      lines.close();
      input.destroy();
      // Unusable lines up to the point reached are moved now; later ones are found again by the next replay.
      const reached = rejected.filter((entry) => entry.lineNumber <= doneThrough);
      this.moveRejectedLines(reached, file, lineNumber, handlers);
      moved = reached.length;
      if (!complete && doneThrough > alreadyDone) writeProgress(progressPath, doneThrough);
    }
    if (complete) removeIfPresent(progressPath);
    return { rows, rejectedLines: moved, complete };
  }

  private moveRejectedLines(
    entries: readonly { reason: string; line: string }[],
    file: string,
    linesRead: number,
    handlers: ReplayHandlers,
  ): void {
    if (entries.length === 0) return;
    try {
      this.quarantine(entries.map(({ reason, line }) => ({ reason, line })));
    } catch {
      // Keeping the unusable lines is a courtesy; the report below still says they were skipped.
    }
    handlers.onProblem(
      new StorageError(
        `Skipped ${entries.length} of ${linesRead} lines of the spill file ${file} that are not valid rows (moved to ${this.rejectedPath})`,
        new Error(`first reason: ${entries[0].reason}`),
      ),
    );
  }

  /** Replays left over by a crash, and journals of processes that have ended. */
  private leftovers(): string[] {
    const directory = path.dirname(this.path);
    const base = path.basename(this.path);
    let names: string[];
    try {
      names = fs.readdirSync(directory);
    } catch {
      return [];
    }
    const found: string[] = [];
    for (const name of names) {
      if (!name.startsWith(base)) continue;
      const rest = name.slice(base.length);
      if (rest.startsWith(REPLAYING_INFIX)) {
        if (!rest.endsWith(PROGRESS_SUFFIX)) found.push(path.join(directory, name));
      } else if (rest.startsWith(JOURNAL_INFIX)) {
        const pid = Number(rest.slice(JOURNAL_INFIX.length));
        // A live process's journal holds rows that process still has queued: leave it to that process.
        if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) found.push(path.join(directory, name));
      }
    }
    return found.sort();
  }
}

/** Writes text after making sure the file does not end in a line cut short by a crash mid-append. */
function writeAfterCompleteLine(fd: number, text: string): void {
  const size = fs.fstatSync(fd).size;
  if (size > 0) {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) text = "\n" + text;
  }
  fs.writeSync(fd, text);
}

/** The row of a spill line, or why the line is not a valid row. */
function parseLine(line: string, completeRecord: ((value: unknown) => ExecutionMetricRow) | undefined): ExecutionMetricRow | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not JSON (a crash while appending cuts the last line)";
  }
  if (isStoredRow(value)) return value;
  if (completeRecord === undefined) return "not a complete stored row";
  try {
    return completeRecord(value);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Lines of a stopped replay already done (0 when there is no readable progress file). */
function readProgress(progressPath: string): number {
  try {
    const value = Number(fs.readFileSync(progressPath, "utf8").trim());
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** Records progress atomically; failing to is harmless (the next replay starts over, and the store skips). */
function writeProgress(progressPath: string, linesDone: number): void {
  try {
    fs.writeFileSync(`${progressPath}.tmp`, String(linesDone));
    fs.renameSync(`${progressPath}.tmp`, progressPath);
  } catch {
    // See above.
  }
}

function removeIfPresent(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Absent already.
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
