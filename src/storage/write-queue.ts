import type { DataSource } from "typeorm";

/** The tail of the write queue of each DataSource. */
const tails = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `write` after every write queued before it on the same DataSource has settled.
 *
 * TypeORM's sqlite drivers share one connection (one query runner) per DataSource, so two transactions
 * started at once fail with "cannot start a transaction within a transaction" — even from two recorders, or
 * a recorder and an import. Every writer on a DataSource should go through this queue. It costs one promise
 * hop per write, and is harmless on PostgreSQL (where it only orders writes of this process).
 */
export function serializeWrite<T>(dataSource: DataSource, write: () => Promise<T>): Promise<T> {
  const previous = tails.get(dataSource) ?? Promise.resolve();
  const run = previous.then(write, write);
  tails.set(
    dataSource,
    run.catch(() => undefined),
  );
  return run;
}
