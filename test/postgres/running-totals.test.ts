import { runRunningTotalsScenario } from "../integration/services/running-totals-scenario";
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
});
