import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";

/**
 * What MetricsQueryService and ProfileService need beyond the initial schema:
 *
 * - `execution_tags(execution_id, tag)`: one row per distinct tag of an execution, so that a tags filter is an
 *   index lookup instead of a scan of the JSON `tags` text. Triggers keep it in sync, so the recorder's raw
 *   multi-row `INSERT … ON CONFLICT DO NOTHING` stays as it is (a trigger fires only for rows really inserted).
 * - Triggers that drop a skill's materialized profile when one of its executions is updated (feedback) or
 *   deleted: inserts are detected by ProfileService's staleness check, but an update changes no count.
 * - Indexes for the environment and job filters, and a covering "profile" index (skill_id, total_duration_ms,
 *   then every column a profile reads) from which aggregates, percentiles, the stddev pass and the staleness check
 *   read without touching the table.
 *
 * The SQLite and PostgreSQL trigger dialects differ; both are here, the PostgreSQL one in PL/pgSQL.
 */
export class QueryIndexes1764374400000 implements MigrationInterface {
  name = "QueryIndexes1764374400000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // One at a time: createIndices() runs them in parallel, and on SQLite the parallel table-cache reloads race
    // ("Cannot read properties of undefined (reading 'sql')", seen intermittently).
    for (const index of [
      // getMetrics({ environment }) and ({ jobId }): equality, then rows in time order for keyset pages.
      new TableIndex({ name: "IDX_execution_metrics_environment_started", columnNames: ["environment", "started_at"] }),
      new TableIndex({ name: "IDX_execution_metrics_job_started", columnNames: ["job_id", "started_at"] }),
      // Profiles and baselines: a skill's durations in order (percentiles by ordered index scan), followed by every
      // column a profile aggregates, so that refreshing reads this index alone and never a table row (measured on
      // 1M rows: the aggregate pass drops from ~3.5 s through the table to ~0.45 s; see bench/RESULTS.md). The
      // token counts close it so that the HTML report's token timelines are index-only too (4.6 s → 0.1 s).
      new TableIndex({ name: "IDX_execution_metrics_skill_profile", columnNames: [...PROFILE_INDEX_COLUMNS] }),
    ]) {
      await queryRunner.createIndex("execution_metrics", index);
    }

    await queryRunner.createTable(
      new Table({
        name: "execution_tags",
        columns: [
          { name: "execution_id", type: "varchar", length: "36", isPrimary: true },
          { name: "tag", type: "varchar", length: "255", isPrimary: true },
        ],
        indices: [new TableIndex({ name: "IDX_execution_tags_tag", columnNames: ["tag", "execution_id"] })],
      }),
    );

    if (queryRunner.connection.driver.options.type === "postgres") {
      await queryRunner.query(POSTGRES_TRIGGER_FUNCTION);
      await queryRunner.query(
        `CREATE TRIGGER trg_execution_metrics_sync AFTER INSERT OR UPDATE OR DELETE ON execution_metrics ` +
          `FOR EACH ROW EXECUTE FUNCTION skill_metrics_sync()`,
      );
      await queryRunner.query(
        `INSERT INTO execution_tags (execution_id, tag) SELECT DISTINCT m.execution_id, t.tag ` +
          `FROM execution_metrics m CROSS JOIN LATERAL jsonb_array_elements_text(m.tags::jsonb) AS t(tag) ` +
          `ON CONFLICT DO NOTHING`,
      );
      return;
    }
    for (const sql of SQLITE_TRIGGERS) await queryRunner.query(sql);
    await queryRunner.query(
      `INSERT OR IGNORE INTO execution_tags (execution_id, tag) ` +
        `SELECT m.execution_id, j.value FROM execution_metrics m, json_each(m.tags) j WHERE m.tags <> '[]'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === "postgres") {
      await queryRunner.query(`DROP TRIGGER IF EXISTS trg_execution_metrics_sync ON execution_metrics`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS skill_metrics_sync()`);
    } else {
      for (const name of SQLITE_TRIGGER_NAMES) await queryRunner.query(`DROP TRIGGER IF EXISTS ${name}`);
    }
    await queryRunner.dropTable("execution_tags");
    await queryRunner.dropIndex("execution_metrics", "IDX_execution_metrics_skill_profile");
    await queryRunner.dropIndex("execution_metrics", "IDX_execution_metrics_job_started");
    await queryRunner.dropIndex("execution_metrics", "IDX_execution_metrics_environment_started");
  }
}

/** Frozen copy: the entity's @Index repeats it. */
const PROFILE_INDEX_COLUMNS = [
  "skill_id",
  "total_duration_ms",
  "status",
  "started_at",
  "api_calls_count",
  "api_calls_cost_usd",
  "output_size_bytes",
  "output_quality",
  "correctness_score",
  "user_feedback_received",
  "user_satisfaction",
  "error_category",
  "tokens_in",
  "tokens_out",
] as const;

const SQLITE_TRIGGER_NAMES = [
  "trg_execution_metrics_tags_insert",
  "trg_execution_metrics_tags_update",
  "trg_execution_metrics_profile_update",
  "trg_execution_metrics_delete",
];

// A frozen copy, like every migration's SQL. Duplicate tags in one row collapse (OR IGNORE) instead of failing the
// recorder's whole batch; rows without tags skip json_each entirely, which keeps the insert path cheap.
const SQLITE_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_tags_insert AFTER INSERT ON execution_metrics WHEN NEW.tags <> '[]'
   BEGIN
     INSERT OR IGNORE INTO execution_tags (execution_id, tag) SELECT NEW.execution_id, value FROM json_each(NEW.tags);
   END`,
  `CREATE TRIGGER trg_execution_metrics_tags_update AFTER UPDATE OF tags, execution_id ON execution_metrics
   BEGIN
     DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
     INSERT OR IGNORE INTO execution_tags (execution_id, tag) SELECT NEW.execution_id, value FROM json_each(NEW.tags);
   END`,
  `CREATE TRIGGER trg_execution_metrics_profile_update AFTER UPDATE ON execution_metrics
   BEGIN
     DELETE FROM skill_profiles WHERE skill_id = OLD.skill_id OR skill_id = NEW.skill_id;
   END`,
  `CREATE TRIGGER trg_execution_metrics_delete AFTER DELETE ON execution_metrics
   BEGIN
     DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
     DELETE FROM skill_profiles WHERE skill_id = OLD.skill_id;
   END`,
];

const POSTGRES_TRIGGER_FUNCTION = `CREATE FUNCTION skill_metrics_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
    DELETE FROM skill_profiles WHERE skill_id = OLD.skill_id;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM skill_profiles WHERE skill_id = NEW.skill_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.tags <> '[]' THEN
    INSERT INTO execution_tags (execution_id, tag)
      SELECT DISTINCT NEW.execution_id, t.tag FROM jsonb_array_elements_text(NEW.tags::jsonb) AS t(tag)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$`;
