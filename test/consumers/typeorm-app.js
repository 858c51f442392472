/**
 * A consumer application of the packed skill-metrics on its OWN TypeORM DataSource (run by
 * test/packaging/consumer-projects.test.ts in fresh projects: TypeORM 1.x with better-sqlite3 and PostgreSQL,
 * TypeORM 0.3.31 with sqlite3). Plain CommonJS, as an application's compiled code is.
 *
 *   node typeorm-app.js <type> <database file | postgres URL> <export file>
 *
 * Records tracked calls, reads them back (getMetrics, a profile), exports CSV and re-imports it, shuts the
 * collector down, and prints one JSON line; the test then checks the rows with the sqlite3 shell or psql.
 */
require("reflect-metadata");
const { existsSync, readFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const { DataSource } = require("typeorm");
const { ExecutionMetricsCollector, SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS, track } = require("skill-metrics");

function typeormVersion(from) {
  const entry = require.resolve("typeorm", { paths: [from] });
  return { entry, version: JSON.parse(readFileSync(join(dirname(entry), "package.json"), "utf8")).version };
}

async function main() {
  const [type, where, exportPath] = process.argv.slice(2);
  const spillPath = `${exportPath}.spill.ndjson`;
  const dataSource = new DataSource({
    type,
    ...(type === "postgres" ? { url: where } : { database: where }),
    entities: [...SKILL_METRICS_ENTITIES],
    migrations: SKILL_METRICS_MIGRATIONS,
  });
  await dataSource.initialize();
  const metrics = await ExecutionMetricsCollector.create({ dataSource, environment: `consumer-${type}`, spillPath });
  for (let i = 0; i < 10; i++) track(i % 2 === 1 ? "odd_skill" : "even_skill", (context) => context.recordOutputSize(i));
  try {
    track("failing_skill", () => {
      throw new Error("upstream timeout");
    });
  } catch {
    // the skill's own error, rethrown by track()
  }
  const page = await metrics.getMetrics({ skillId: "odd_skill", limit: 100 });
  const profile = await metrics.getSkillProfile("even_skill");
  const exported = await metrics.exportCsv(exportPath);
  const reimported = await metrics.import(exportPath);
  await metrics.shutdown();
  const appTypeorm = typeormVersion(process.cwd());
  const sdkTypeorm = typeormVersion(dirname(require.resolve("skill-metrics")));
  console.log(
    JSON.stringify({
      typeorm: appTypeorm.version,
      sdkTypeorm: sdkTypeorm.version,
      oneTypeorm: appTypeorm.entry === sdkTypeorm.entry,
      page: page.items.map((item) => item.skillId),
      profileTotal: profile && profile.totalExecutions,
      exported: exported.rows,
      reimported: { imported: reimported.imported, skipped: reimported.skipped },
      stillOpen: dataSource.isInitialized,
      spill: existsSync(spillPath),
    }),
  );
  await dataSource.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
