import type { DataSource } from "typeorm";
import { AnomalyService, type AnomalyQuery } from "../../../src/services/AnomalyService";
import { ReviewService, type ReviewQueueQuery } from "../../../src/services/ReviewService";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { at, finished, seed } from "../services/seed";

/**
 * Every annotation query's page is one walk of an index in page order: SQLite's plan names the index and has no
 * "USE TEMP B-TREE FOR ORDER BY" (a sort of every match, whose cost would grow with the table). Also checked
 * after a cursor, where the keyset condition must stay an index range. (The PostgreSQL planner chooses by
 * statistics, so its plans are not pinned.)
 */
describe("annotation query plans [sqlite]", () => {
  let dataSource: DataSource;
  let anomalies: AnomalyService;
  let reviews: ReviewService;
  let anomalyCursor: string;
  let reviewCursor: string;

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    const rows = await seed(dataSource, Array.from({ length: 30 }, (_, i) => finished(`skill-${i % 3}`, at("2026-06-01T00:00:00.000Z", i * 1000), 10)));
    anomalies = new AnomalyService(dataSource);
    reviews = new ReviewService(dataSource);
    for (const [i, row] of rows.entries()) {
      await anomalies.markAnomaly(row.execution_id, { detector: `d${i % 2}`, kind: `k${i % 4}` });
      await reviews.flagForReview(row.execution_id, { reason: "r" });
    }
    anomalyCursor = (await anomalies.getAnomalies({ limit: 5 })).nextCursor!;
    reviewCursor = (await reviews.getReviewQueue({ limit: 5 })).nextCursor!;
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  const expectIndexWalk = (plan: string[], index: string) => {
    expect(plan.join("\n")).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
    expect(plan.join("\n")).not.toContain("TEMP B-TREE");
  };

  it.each<[string, AnomalyQuery, string]>([
    ["no filter", {}, "IDX_execution_anomalies_started"],
    ["a time range", { from: "2026-06-01T00:00:05.000Z", to: "2026-06-01T00:00:20.000Z" }, "IDX_execution_anomalies_started"],
    ["a skill", { skillId: "skill-1" }, "IDX_execution_anomalies_skill_started"],
    ["a detector", { detector: "d1" }, "IDX_execution_anomalies_detector_started"],
    ["a kind", { kind: "k2" }, "IDX_execution_anomalies_kind_started"],
    ["a status", { status: "open" }, "IDX_execution_anomalies_status_started"],
  ])("getAnomalies with %s (%j) walks %s in page order, also after a cursor", async (_name, query, index) => {
    expectIndexWalk(await anomalies.explainAnomalies(query), index);
    // The plan does not depend on which page the cursor came from: only on the shape of the keyset condition.
    expectIndexWalk(await anomalies.explainAnomalies({ ...query, after: anomalyCursor }), index);
  });

  it.each<[string, ReviewQueueQuery, string]>([
    ["the open queue", {}, "IDX_execution_reviews_status_created"],
    ["resolved flags", { status: "resolved" }, "IDX_execution_reviews_status_created"],
    ["one skill's queue", { skillId: "skill-2" }, "IDX_execution_reviews_skill_status_created"],
  ])("getReviewQueue for %s (%j) walks %s in page order", async (_name, query, index) => {
    expectIndexWalk(await reviews.explainReviewQueue(query), index);
  });

  it("the queue after a cursor stays an index walk", async () => {
    expectIndexWalk(await reviews.explainReviewQueue({ after: reviewCursor }), "IDX_execution_reviews_status_created");
  });
});
