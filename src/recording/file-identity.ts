import * as fs from "node:fs";
import { StorageError } from "../errors";

/**
 * Remembers which file (device:inode) a SQLite path named at the first write and refuses later writes when the
 * path names another file or none.
 */
export class FileIdentityCheck {
  private identity: string | null = null;

  constructor(readonly filePath: string) {}

  /** @throws StorageError when the file was deleted or replaced since the first check. */
  check(): void {
    let identity: string | null = null;
    try {
      const stat = fs.statSync(this.filePath);
      identity = `${stat.dev}:${stat.ino}`;
    } catch {
      // Missing: handled below.
    }
    this.identity ??= identity;
    if (identity === null || identity !== this.identity) {
      throw new StorageError(
        `The SQLite file ${this.filePath} was deleted or replaced while open`,
        new Error("writes would go to the unlinked file and be lost; reopen the database (restart the collector) to go on writing"),
      );
    }
  }
}
