import * as fs from "node:fs";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { StorageError } from "../errors";

/**
 * The per-process journal of `durability: "sync-spill"`: every submitted row is appended with a synchronous
 * write before `submit()` returns, so it is in the kernel's hands even if the process is SIGKILLed a moment
 * later. After each batch, the journal is cut back to the rows still queued. A journal whose process is gone
 * is replayed like a spill file (see SpillFile). Rows survive a process kill; surviving power loss would also
 * need an fsync per row, which this mode does not pay for.
 */
export class SyncJournal {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** Appends one row. @throws StorageError when the write fails. */
  append(row: ExecutionMetricRow): void {
    try {
      fs.writeSync(this.open(), JSON.stringify(row) + "\n");
    } catch (error) {
      throw new StorageError(`Could not journal a metric row to ${this.path}`, error);
    }
  }

  /**
   * Replaces the journal's content with `rows` (the rows not yet committed). Atomic: a kill at any moment
   * leaves either the old or the new journal, and both hold every uncommitted row.
   */
  reset(rows: readonly ExecutionMetricRow[]): void {
    try {
      if (rows.length === 0) {
        if (this.fd !== null) fs.ftruncateSync(this.fd, 0);
        return;
      }
      const temporary = `${this.path}.tmp`;
      let text = "";
      for (const row of rows) text += JSON.stringify(row) + "\n";
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, this.path);
      this.closeFd();
      this.open();
    } catch (error) {
      throw new StorageError(`Could not rewrite the journal ${this.path}`, error);
    }
  }

  /** Closes the journal and deletes it (every row it held is committed or spilled). */
  dispose(): void {
    this.closeFd();
    try {
      fs.unlinkSync(this.path);
    } catch {
      // Never opened, or already gone: nothing to clean.
    }
  }

  /** Closes the file, keeping it for the next start's replay (used on process exit). */
  close(): void {
    this.closeFd();
  }

  private open(): number {
    if (this.fd === null) this.fd = fs.openSync(this.path, "a");
    return this.fd;
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Closing a descriptor that fails to close leaves nothing to recover.
    }
    this.fd = null;
  }
}
