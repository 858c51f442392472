import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { runRunningTotalsScenario } from "./running-totals-scenario";

describe("running totals (SQLite): profiles equal the stored rows after inserts, feedback, deletes and updates", () => {
  it("every write a user makes, then a refresh, gives the rows' own figures", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await runRunningTotalsScenario(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });
});
