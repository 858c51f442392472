import { promises as fs } from "node:fs";
import { SkillMetricsError } from "../errors";
import { realTarget } from "./export-destination";

/** The files SQLite keeps beside a database: writing any of them would corrupt or roll back the database. */
const SQLITE_COMPANIONS = ["", "-wal", "-shm", "-journal"] as const;

/**
 * Refuses, before anything is opened for writing, a destination that is the SQLite database being read or one
 * of its -wal, -shm or -journal files: the same file by device and inode (a hard link, a symlink, another
 * spelling of the path), or the same name once symlinks are resolved (a -wal or -journal that does not exist
 * yet would be taken by SQLite for its own on the next open).
 *
 * @param destination the path about to be written.
 * @param database the SQLite file being read.
 * @throws SkillMetricsError (code SKILL_METRICS_DESTINATION_REFUSED) naming both paths.
 */
export async function assertNotDatabaseFile(destination: string, database: string): Promise<void> {
  const target = await identity(destination);
  const realDestination = await realTarget(destination);
  const realDatabase = await realTarget(database);
  for (const suffix of SQLITE_COMPANIONS) {
    const companion = await identity(database + suffix);
    const sameFile = target !== null && companion !== null && target.dev === companion.dev && target.ino === companion.ino;
    if (sameFile || realDestination === realDatabase + suffix) {
      throw new SkillMetricsError(
        `Refusing to write ${destination}: it is ${suffix === "" ? "the database" : `the ${suffix.slice(1)} file of the database`} ` +
          `being read (${database}${suffix}); choose another --out`,
        { code: "SKILL_METRICS_DESTINATION_REFUSED" },
      );
    }
  }
}

/** Device and inode of what `file` names (symlinks followed), or null when nothing is there. */
async function identity(file: string): Promise<{ dev: number; ino: number } | null> {
  try {
    const stats = await fs.stat(file);
    return { dev: stats.dev, ino: stats.ino };
  } catch {
    return null;
  }
}
