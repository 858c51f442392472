import { ExecutionMetricsCollector } from "../../src/ExecutionMetricsCollector";
import { createDataSource } from "../../src/storage/data-source";
import { annotationSuite } from "../integration/annotations/annotations-suite";
import { createPgDatabase, describePg } from "./pg-database";

/**
 * The annotation API on PostgreSQL: the same suite as on SQLite (test/integration/annotations), each test on a
 * database of its own, the collector writing through its writer thread, a second DataSource reading rows back.
 * On PostgreSQL the foreign keys alone do the delete cascade (no trigger).
 */
describePg("annotations", () => {
  annotationSuite(async () => {
    const database = await createPgDatabase("annotations");
    // A generous write deadline: the first write waits for the writer thread to load pg and connect, which on a
    // loaded machine took over the default 5 s (and, with no spill file, dropped the row). Speed is not under test.
    const metrics = await ExecutionMetricsCollector.create({ url: database.url, spillPath: null, setAsDefault: false, writeTimeoutMillis: 60_000 });
    const dataSource = await createDataSource({ url: database.url }).initialize();
    return {
      metrics,
      dataSource,
      async cleanup() {
        await metrics.shutdown();
        await dataSource.destroy();
        await database.drop();
      },
    };
  });
});
