import { expectOverflowingRowsStored, runRunningTotalsScenario } from "../integration/services/running-totals-scenario";
import { createMigratedPgDatabase, describePg } from "./pg-database";

describePg("running totals: profiles equal the stored rows after inserts, feedback, deletes and updates", () => {
  it("every write a user makes, then a refresh, gives the rows' own figures (statement-level PL/pgSQL totals)", async () => {
    const database = await createMigratedPgDatabase("running_totals");
    try {
      await runRunningTotalsScenario(database.dataSource);
    } finally {
      await database.cleanup();
    }
  });

  it("rows whose sums would overflow are stored (no overflow error from the trigger), their skill left to recount", async () => {
    const database = await createMigratedPgDatabase("running_totals_overflow");
    try {
      await expectOverflowingRowsStored(database.dataSource);
    } finally {
      await database.cleanup();
    }
  });
});
