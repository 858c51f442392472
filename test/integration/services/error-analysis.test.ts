import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricValidationError } from "../../../src/errors";
import { MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { at, finished, seed } from "./seed";

const T0 = "2026-05-01T00:00:00.000Z";
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function failure(n: number, minute: number, category: string | null, message: string | null, status = "failure") {
  return finished("writer", at(T0, minute * 60_000), 5, {
    execution_id: ID(n),
    status,
    error_category: category,
    error_message: message,
  });
}

describe("MetricsQueryService.getErrorAnalysis", () => {
  let dataSource: DataSource;
  let service: MetricsQueryService;

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, [
      failure(1, 1, "api_error", "A"),
      failure(2, 2, "api_error", "A"),
      failure(3, 3, "api_error", "B"),
      failure(4, 1, null, "A"),
      failure(5, 2, null, null),
      failure(6, 4, null, null), // unknown: 3 like api_error, but seen later
      failure(7, 5, "timeout", "slow", "timeout"),
      failure(8, 5, "timeout", "slow", "timeout"), // same instant: the greater id is the example
      failure(9, 6, "zeta", "Z"),
      failure(10, 6, "alpha", "Z2"), // alpha and zeta tie on count and last seen: key order
      finished("writer", at(T0, 7 * 60_000), 5, { error_category: "api_error", error_message: "A" }), // a success
      finished("reader", at(T0, 60_000), 5, { status: "failure", error_category: "api_error", error_message: "A" }),
      { skill_id: "writer", started_at: at(T0, 8 * 60_000), status: "running", error_category: "api_error" },
    ]);
    service = new MetricsQueryService(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("groups failures and timeouts by category: count desc, then last seen desc, then key", async () => {
    const analysis = await service.getErrorAnalysis("writer");
    expect(analysis.totalFailures).toBe(10);
    expect(analysis.byCategory.map((g) => [g.key, g.count, g.exampleExecutionId])).toEqual([
      ["unknown", 3, ID(6)],
      ["api_error", 3, ID(3)],
      ["timeout", 2, ID(8)],
      ["alpha", 1, ID(10)],
      ["zeta", 1, ID(9)],
    ]);
    const unknown = analysis.byCategory[0];
    expect(unknown.firstSeenAt.toISOString()).toBe(at(T0, 60_000));
    expect(unknown.lastSeenAt.toISOString()).toBe(at(T0, 4 * 60_000));
  });

  it("groups by message the same way, a missing message as null (last among equals)", async () => {
    const { byMessage } = await service.getErrorAnalysis("writer");
    expect(byMessage.map((g) => [g.key, g.count, g.exampleExecutionId])).toEqual([
      ["A", 3, ID(2)],
      ["slow", 2, ID(8)],
      [null, 2, ID(6)],
      ["Z", 1, ID(9)],
      ["Z2", 1, ID(10)],
      ["B", 1, ID(3)],
    ]);
  });

  it("returns the top N groups, with totalFailures still counting all", async () => {
    const analysis = await service.getErrorAnalysis("writer", { limit: 2 });
    expect(analysis.byCategory.map((g) => g.key)).toEqual(["unknown", "api_error"]);
    expect(analysis.byMessage.map((g) => g.key)).toEqual(["A", "slow"]);
    expect(analysis.totalFailures).toBe(10);
  });

  it("restricts to [from, to)", async () => {
    const analysis = await service.getErrorAnalysis("writer", { from: at(T0, 2 * 60_000), to: new Date(at(T0, 5 * 60_000)) });
    expect(analysis.totalFailures).toBe(4);
    expect(analysis.byCategory.map((g) => [g.key, g.count])).toEqual([
      ["unknown", 2],
      ["api_error", 2],
    ]);
  });

  it("is empty for a skill without failures", async () => {
    expect(await service.getErrorAnalysis("nobody")).toEqual({ skillId: "nobody", totalFailures: 0, byCategory: [], byMessage: [] });
  });

  it.each([
    [{ limit: 0 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ from: "yesterday" }, "from"],
  ])("refuses %p", async (options, field) => {
    const error = await service.getErrorAnalysis("writer", options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe(field);
  });
});
