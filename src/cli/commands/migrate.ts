import { createDataSource } from "../../storage/data-source";
import { dialectOf } from "../../storage/dialect";
import { type CliContext, stringOption } from "../cli-context";

/** `skill-metrics migrate`: runs pending migrations and lists them. */
export async function migrateCommand(context: CliContext): Promise<number> {
  const dataSource = createDataSource({ database: stringOption(context, "db"), url: stringOption(context, "db-url") });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: "each" });
    const where = dialectOf(dataSource) === "sqlite" ? String(dataSource.options.database) : dataSource.options.type;
    if (applied.length === 0) context.out.write(`${where}: schema is up to date, nothing to apply.\n`);
    else {
      context.out.write(`${where}: applied ${applied.length} migration(s):\n`);
      for (const migration of applied) context.out.write(`  ${migration.name}\n`);
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
