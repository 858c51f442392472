import { randomBytes } from "node:crypto";
import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../src/storage/data-source";

/**
 * The PostgreSQL server of the postgres suite: scripts/with-postgres.sh starts a throwaway cluster and exports
 * its URL. Each test file gets its own database on it (files run in parallel workers).
 */
export const PG_URL = process.env.SKILL_METRICS_TEST_PG_URL;

const MISSING =
  "SKILL_METRICS_TEST_PG_URL is not set: PostgreSQL was not started. Run `npm run test:pg` " +
  "(or `bash scripts/with-postgres.sh npx jest --selectProjects postgres`).";

let warned = false;

/**
 * `describe` when PostgreSQL is available. Without it: under CI=true one failing test that says why (never a
 * silent skip in CI); elsewhere a skipped block and one visible warning.
 */
export function describePg(name: string, body: () => void): void {
  if (PG_URL) {
    describe(`${name} [postgres]`, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(`${name} [postgres]`, () => {
      it("needs PostgreSQL", () => {
        throw new Error(MISSING);
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    // eslint-disable-next-line no-console
    console.warn(`postgres tests SKIPPED: ${MISSING}`);
  }
  describe.skip(`${name} [postgres]`, body);
}

/** A database of its own on the test server. */
export interface PgTestDatabase {
  /** postgres:// URL of the new database. */
  readonly url: string;
  /** Drops the database (after destroying every DataSource given to `track`). */
  drop(): Promise<void>;
}

/** Runs one statement on the server's maintenance connection (the URL's own database). */
async function admin(sql: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database named after `label` plus random hex; `drop()` removes it. */
export async function createPgDatabase(label: string): Promise<PgTestDatabase> {
  if (!PG_URL) throw new Error(MISSING);
  const name = `sm_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A fresh database, migrated, with its DataSource; `cleanup()` destroys the DataSource and drops the database. */
export async function createMigratedPgDatabase(
  label: string,
): Promise<{ url: string; dataSource: DataSource; cleanup(): Promise<void> }> {
  const database = await createPgDatabase(label);
  const dataSource = await openDatabase(createDataSource({ url: database.url }));
  return {
    url: database.url,
    dataSource,
    async cleanup() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
}
