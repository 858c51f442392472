import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataSource } from "typeorm";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError } from "../../../src/errors";
import { dialectOf } from "../../../src/storage/dialect";
import { SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS } from "../../../src/storage/data-source";
import { getDefaultSink, setDefaultSink } from "../../../src/tracking/default-sink";

/**
 * One place decides the SQL dialect (src/storage/dialect.ts): sqlite and better-sqlite3 DataSources get SQLite's,
 * postgres PostgreSQL's, and any other type is refused by create() before anything is opened (it used to be
 * accepted and then sent SQLite SQL).
 */
describe("the database type of a dataSource option", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-dbtype-"));
  });

  afterEach(() => {
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A DataSource of type "mysql" without the mysql driver (TypeORM would load it in its constructor). */
  function mysqlDataSource(): DataSource & { initializeCalls: number } {
    const fake = Object.create(DataSource.prototype) as DataSource & { initializeCalls: number };
    Object.defineProperties(fake, {
      options: { value: { type: "mysql", host: "localhost", database: "metrics", entities: SKILL_METRICS_ENTITIES } },
      isInitialized: { value: false },
      initializeCalls: { value: 0, writable: true },
    });
    fake.initialize = async () => {
      fake.initializeCalls++;
      throw new Error("must not be initialized");
    };
    return fake;
  }

  async function refusal(promise: Promise<unknown>): Promise<ConfigurationError> {
    const error = await promise.then(
      () => new Error("expected a ConfigurationError"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }

  it("refuses a DataSource of type mysql with a ConfigurationError naming dataSource and the supported types; nothing is initialized", async () => {
    const dataSource = mysqlDataSource();
    const spill = join(dir, "spill.ndjson");
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource, spillPath: spill }));
    expect(error.message).toContain('"dataSource"');
    expect(error.message).toContain('"mysql"');
    for (const type of ["sqlite", "better-sqlite3", "postgres"]) expect(error.message).toContain(`"${type}"`);
    expect(dataSource.initializeCalls).toBe(0);
    expect(existsSync(spill)).toBe(false);
    expect(getDefaultSink()).toBeNull();
  });

  it.each(["mysql", "mariadb", "mssql", "oracle"])("refuses DataSource options of type %s before TypeORM loads a driver", async (type) => {
    const options = { type, host: "localhost", database: "metrics", entities: SKILL_METRICS_ENTITIES } as never;
    const error = await refusal(ExecutionMetricsCollector.create({ dataSource: options, spillPath: join(dir, "spill.ndjson") }));
    expect(error.message).toContain('"dataSource"');
    expect(error.message).toContain(`"${type}"`);
    expect(error.message).toContain('"better-sqlite3"');
    expect(existsSync(join(dir, "spill.ndjson"))).toBe(false);
  });

  it("dialectOf: sqlite and better-sqlite3 speak SQLite, postgres PostgreSQL, anything else is refused", () => {
    expect(dialectOf({ type: "sqlite", database: ":memory:" })).toBe("sqlite");
    expect(dialectOf({ type: "better-sqlite3", database: ":memory:" })).toBe("sqlite");
    expect(dialectOf({ type: "postgres" })).toBe("postgres");
    expect(() => dialectOf(mysqlDataSource())).toThrow(ConfigurationError);
    expect(() => dialectOf({ type: "mysql" } as never)).toThrow(ConfigurationError);
  });

  describe.each([
    ["a file", () => join(dir, "metrics.db")],
    ["in memory", () => ":memory:"],
  ])("a better-sqlite3 DataSource (%s) is SQLite throughout", (_where, database) => {
    it("records, queries, profiles and exports like a sqlite one", async () => {
      const metrics = await ExecutionMetricsCollector.create({
        dataSource: {
          type: "better-sqlite3",
          database: database(),
          entities: SKILL_METRICS_ENTITIES,
          migrations: SKILL_METRICS_MIGRATIONS,
        },
        setAsDefault: false,
        spillPath: null,
      });
      try {
        for (let i = 0; i < 30; i++) {
          const exec = metrics.start(i % 3 === 0 ? "b_skill" : "a_skill");
          if (i % 5 === 0) exec.end({ status: "failure", errorCategory: "api_error" });
          else exec.end({ status: "success", outputSizeBytes: i });
        }
        const page = await metrics.getMetrics({ skillId: "a_skill", limit: 100 });
        expect(page.items).toHaveLength(20);
        const profiles = await metrics.getSkillProfiles();
        expect(profiles.map((p) => [p.skillId, p.totalExecutions])).toEqual([
          ["a_skill", 20],
          ["b_skill", 10],
        ]);
        const feedback = await metrics.recordFeedback(page.items[0].executionId, { userSatisfaction: 4 });
        expect(feedback.userFeedbackReceived).toBe(true);
        const profile = await metrics.getSkillProfile("a_skill");
        expect(profile?.totalFeedbackResponses).toBe(1);

        const csv = join(dir, "out.csv");
        expect((await metrics.exportCsv(csv)).rows).toBe(30);
        expect(readFileSync(csv, "utf8").trimEnd().split("\r\n")).toHaveLength(31);
        const stats = join(dir, "stats.json");
        expect((await metrics.exportStatsJson(stats)).rows).toBe(2);
        const document = JSON.parse(readFileSync(stats, "utf8"));
        expect(document.profiles[0]).toMatchObject({ skill_id: "a_skill", total_executions: 20, total_feedback_responses: 1 });
      } finally {
        await metrics.shutdown();
      }
    });
  });
});
