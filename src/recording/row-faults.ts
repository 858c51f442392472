/**
 * Tells a fault of the rows themselves from a fault of the database.
 *
 * A batch that fails because the database is locked, full, read-only or gone fails for every row in it: the
 * rows are kept (spilled) and written later. A batch that fails because one of its rows breaks a constraint or
 * a type would fail forever, and with it every good row of the batch. Such batches are split until the bad
 * row stands alone, and that row is quarantined (see writeIsolatingRowFaults).
 */

/** SQLite result codes (primary part of the code string) that a single row can cause. */
const SQLITE_ROW_CODES = new Set(["SQLITE_CONSTRAINT", "SQLITE_MISMATCH", "SQLITE_TOOBIG", "SQLITE_RANGE"]);

/** PostgreSQL SQLSTATE classes a single row can cause: 22 data exception, 23 integrity constraint violation. */
const POSTGRES_ROW_CLASSES = new Set(["22", "23"]);

/** True when `error` (a driver error, or one wrapping it as `cause`/`driverError`) is caused by row content. */
export function isRowFault(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === "object" && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      // node-sqlite3 gives the primary code, better-sqlite3 the extended one (SQLITE_CONSTRAINT_TRIGGER).
      if (code.startsWith("SQLITE_")) return SQLITE_ROW_CODES.has(/^SQLITE_[A-Z]+/.exec(code)![0]);
      if (/^[0-9A-Z]{5}$/.test(code)) return POSTGRES_ROW_CLASSES.has(code.slice(0, 2));
    }
    const inner = current as { driverError?: unknown; cause?: unknown };
    current = inner.driverError ?? inner.cause;
  }
  return false;
}
