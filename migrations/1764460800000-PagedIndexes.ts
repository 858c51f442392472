import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";

/**
 * Cost that stays flat as the table grows.
 *
 * - Page-ordered indexes: every getMetrics filter is an equality (or nothing) followed by the page order
 *   (started_at, execution_id), so a page is a walk of one index range that stops after limit + 1 entries, with
 *   no sort. The skill, time, environment, job and error-category indexes get execution_id appended (the tie
 *   break of the page order); status gets its own (status, started_at, execution_id), beside the covering status
 *   index the failure-category counts read.
 * - `execution_tags` gains `started_at` (kept equal to the execution's by the triggers) and the index
 *   (tag, started_at, execution_id): a tag filter pages through the tag's entries in page order.
 * - `skill_changes(skill_id, version, profiled_version)`: a per-skill change counter bumped by a trigger on every
 *   insert of a finished execution (a running one is in no profile) and on every update and delete (which also
 *   drop the skill's stored profile row, by QueryIndexes' triggers, whatever the status), whoever the writer (recorder, import, feedback, a raw
 *   statement, another process); a refresh stores the version it read as `profiled_version`. A profile is current
 *   while the two are equal, which getSkillProfiles checks by reading this table and skill_profiles only.
 *
 * Both dialects are here; PostgreSQL's triggers are PL/pgSQL, the change counter a statement-level trigger over
 * the transition tables (one upsert per skill and statement, in skill_id order, instead of one per row).
 */
export class PagedIndexes1764460800000 implements MigrationInterface {
  name = "PagedIndexes1764460800000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    // One at a time, as in QueryIndexes: parallel index creation races on SQLite's table cache.
    for (const [name, columns] of PAGED_INDEXES) {
      await queryRunner.dropIndex("execution_metrics", name);
      await queryRunner.createIndex("execution_metrics", new TableIndex({ name, columnNames: [...columns] }));
    }
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: STATUS_STARTED, columnNames: ["status", "started_at", "execution_id"] }),
    );

    // execution_tags is rebuilt with started_at, then refilled from the executions' JSON tags.
    if (postgres) {
      await queryRunner.query(`DROP TRIGGER IF EXISTS trg_execution_metrics_sync ON execution_metrics`);
    } else {
      for (const name of OLD_SQLITE_TAG_TRIGGER_NAMES) await queryRunner.query(`DROP TRIGGER IF EXISTS ${name}`);
    }
    await queryRunner.dropTable("execution_tags");
    await queryRunner.createTable(
      new Table({
        name: "execution_tags",
        columns: [
          { name: "execution_id", type: "varchar", length: "36", isPrimary: true },
          { name: "tag", type: "varchar", length: "255", isPrimary: true },
          { name: "started_at", type: "varchar", length: "24" },
        ],
        indices: [new TableIndex({ name: TAG_STARTED, columnNames: ["tag", "started_at", "execution_id"] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: "skill_changes",
        columns: [
          { name: "skill_id", type: "varchar", length: "255", isPrimary: true },
          { name: "version", type: "bigint" },
          { name: "profiled_version", type: "bigint", isNullable: true },
        ],
      }),
    );

    if (postgres) {
      await queryRunner.query(POSTGRES_SYNC_FUNCTION);
      await queryRunner.query(
        `CREATE TRIGGER trg_execution_metrics_sync AFTER INSERT OR UPDATE OR DELETE ON execution_metrics ` +
          `FOR EACH ROW EXECUTE FUNCTION skill_metrics_sync()`,
      );
      await queryRunner.query(POSTGRES_CHANGES_FUNCTION);
      for (const sql of POSTGRES_CHANGES_TRIGGERS) await queryRunner.query(sql);
      await queryRunner.query(
        `INSERT INTO execution_tags (execution_id, tag, started_at) SELECT DISTINCT m.execution_id, t.tag, m.started_at ` +
          `FROM execution_metrics m CROSS JOIN LATERAL jsonb_array_elements_text(m.tags::jsonb) AS t(tag) ` +
          `ON CONFLICT DO NOTHING`,
      );
    } else {
      for (const sql of SQLITE_TRIGGERS) await queryRunner.query(sql);
      await queryRunner.query(
        `INSERT OR IGNORE INTO execution_tags (execution_id, tag, started_at) ` +
          `SELECT m.execution_id, j.value, m.started_at FROM execution_metrics m, json_each(m.tags) j WHERE m.tags <> '[]'`,
      );
    }
    // Every existing skill starts stale (no profiled_version): its first read refreshes it once.
    await queryRunner.query(
      `INSERT INTO skill_changes (skill_id, version) SELECT DISTINCT skill_id, 1 FROM execution_metrics WHERE status <> 'running'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    if (postgres) {
      for (const name of POSTGRES_CHANGES_TRIGGER_NAMES) {
        await queryRunner.query(`DROP TRIGGER IF EXISTS ${name} ON execution_metrics`);
      }
      await queryRunner.query(`DROP FUNCTION IF EXISTS skill_metrics_changes()`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS trg_execution_metrics_sync ON execution_metrics`);
    } else {
      for (const name of SQLITE_TRIGGER_NAMES) await queryRunner.query(`DROP TRIGGER IF EXISTS ${name}`);
    }
    await queryRunner.dropTable("skill_changes");
    await queryRunner.dropTable("execution_tags");
    // The previous migration's shape of execution_tags and its triggers, frozen.
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
    if (postgres) {
      await queryRunner.query(OLD_POSTGRES_SYNC_FUNCTION);
      await queryRunner.query(
        `CREATE TRIGGER trg_execution_metrics_sync AFTER INSERT OR UPDATE OR DELETE ON execution_metrics ` +
          `FOR EACH ROW EXECUTE FUNCTION skill_metrics_sync()`,
      );
      await queryRunner.query(
        `INSERT INTO execution_tags (execution_id, tag) SELECT DISTINCT m.execution_id, t.tag ` +
          `FROM execution_metrics m CROSS JOIN LATERAL jsonb_array_elements_text(m.tags::jsonb) AS t(tag) ` +
          `ON CONFLICT DO NOTHING`,
      );
    } else {
      for (const sql of OLD_SQLITE_TAG_TRIGGERS) await queryRunner.query(sql);
      await queryRunner.query(
        `INSERT OR IGNORE INTO execution_tags (execution_id, tag) ` +
          `SELECT m.execution_id, j.value FROM execution_metrics m, json_each(m.tags) j WHERE m.tags <> '[]'`,
      );
    }
    await queryRunner.dropIndex("execution_metrics", STATUS_STARTED);
    for (const [name, columns] of PAGED_INDEXES) {
      await queryRunner.dropIndex("execution_metrics", name);
      await queryRunner.createIndex(
        "execution_metrics",
        new TableIndex({ name, columnNames: columns.slice(0, -1) as string[] }),
      );
    }
  }
}

const STATUS_STARTED = "IDX_execution_metrics_status_started";
const TAG_STARTED = "IDX_execution_tags_tag_started";

/**
 * Frozen copy: the indexes this migration replaces, by name, with their new columns; each had the same columns
 * without the trailing execution_id (down restores that).
 */
const PAGED_INDEXES: readonly (readonly [string, readonly string[]])[] = [
  ["IDX_execution_metrics_skill_started", ["skill_id", "started_at", "execution_id"]],
  ["IDX_execution_metrics_started", ["started_at", "execution_id"]],
  ["IDX_execution_metrics_error_category", ["error_category", "started_at", "execution_id"]],
  ["IDX_execution_metrics_environment_started", ["environment", "started_at", "execution_id"]],
  ["IDX_execution_metrics_job_started", ["job_id", "started_at", "execution_id"]],
];

const OLD_SQLITE_TAG_TRIGGER_NAMES = ["trg_execution_metrics_tags_insert", "trg_execution_metrics_tags_update"];

const SQLITE_TRIGGER_NAMES = [
  ...OLD_SQLITE_TAG_TRIGGER_NAMES,
  "trg_execution_metrics_changes_insert",
  "trg_execution_metrics_changes_update",
  "trg_execution_metrics_changes_delete",
];

/** The marker upsert of one skill, in SQLite's trigger dialect. */
const bump = (skill: string) =>
  `INSERT INTO skill_changes (skill_id, version) VALUES (${skill}, 1) ` +
  `ON CONFLICT (skill_id) DO UPDATE SET version = version + 1;`;

// Frozen SQL. The delete trigger of QueryIndexes (tags and profile row) stays as it is.
const SQLITE_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_tags_insert AFTER INSERT ON execution_metrics WHEN NEW.tags <> '[]'
   BEGIN
     INSERT OR IGNORE INTO execution_tags (execution_id, tag, started_at)
       SELECT NEW.execution_id, value, NEW.started_at FROM json_each(NEW.tags);
   END`,
  `CREATE TRIGGER trg_execution_metrics_tags_update AFTER UPDATE OF tags, execution_id, started_at ON execution_metrics
   BEGIN
     DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
     INSERT OR IGNORE INTO execution_tags (execution_id, tag, started_at)
       SELECT NEW.execution_id, value, NEW.started_at FROM json_each(NEW.tags);
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_insert AFTER INSERT ON execution_metrics
   WHEN NEW.status <> 'running'
   BEGIN
     ${bump("NEW.skill_id")}
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_update AFTER UPDATE ON execution_metrics
   BEGIN
     ${bump("OLD.skill_id")}
     INSERT INTO skill_changes (skill_id, version) SELECT NEW.skill_id, 1 WHERE NEW.skill_id <> OLD.skill_id
       ON CONFLICT (skill_id) DO UPDATE SET version = version + 1;
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_delete AFTER DELETE ON execution_metrics
   BEGIN
     ${bump("OLD.skill_id")}
   END`,
];

const OLD_SQLITE_TAG_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_tags_insert AFTER INSERT ON execution_metrics WHEN NEW.tags <> '[]'
   BEGIN
     INSERT OR IGNORE INTO execution_tags (execution_id, tag) SELECT NEW.execution_id, value FROM json_each(NEW.tags);
   END`,
  `CREATE TRIGGER trg_execution_metrics_tags_update AFTER UPDATE OF tags, execution_id ON execution_metrics
   BEGIN
     DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
     INSERT OR IGNORE INTO execution_tags (execution_id, tag) SELECT NEW.execution_id, value FROM json_each(NEW.tags);
   END`,
];

// Tags are rewritten only when they, the id or started_at change: feedback updates leave them alone.
const POSTGRES_SYNC_FUNCTION = `CREATE OR REPLACE FUNCTION skill_metrics_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (NEW.tags IS DISTINCT FROM OLD.tags
      OR NEW.execution_id IS DISTINCT FROM OLD.execution_id OR NEW.started_at IS DISTINCT FROM OLD.started_at)) THEN
    DELETE FROM execution_tags WHERE execution_id = OLD.execution_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM skill_profiles WHERE skill_id = OLD.skill_id;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM skill_profiles WHERE skill_id = NEW.skill_id;
  END IF;
  IF NEW.tags <> '[]' AND (TG_OP = 'INSERT' OR NEW.tags IS DISTINCT FROM OLD.tags
      OR NEW.execution_id IS DISTINCT FROM OLD.execution_id OR NEW.started_at IS DISTINCT FROM OLD.started_at) THEN
    INSERT INTO execution_tags (execution_id, tag, started_at)
      SELECT DISTINCT NEW.execution_id, t.tag, NEW.started_at FROM jsonb_array_elements_text(NEW.tags::jsonb) AS t(tag)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$`;

const OLD_POSTGRES_SYNC_FUNCTION = `CREATE OR REPLACE FUNCTION skill_metrics_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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

// One upsert per skill touched by the statement, in skill_id order (the order every statement locks markers in).
// Transition tables allow one event per trigger, hence three triggers over one function.
const POSTGRES_CHANGES_FUNCTION = `CREATE FUNCTION skill_metrics_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO skill_changes (skill_id, version)
      SELECT DISTINCT skill_id, 1 FROM changed_new WHERE status <> 'running' ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO skill_changes (skill_id, version)
      SELECT skill_id, 1 FROM (SELECT skill_id FROM changed_old UNION SELECT skill_id FROM changed_new) s ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  ELSE
    INSERT INTO skill_changes (skill_id, version)
      SELECT DISTINCT skill_id, 1 FROM changed_old ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  END IF;
  RETURN NULL;
END
$$`;

const POSTGRES_CHANGES_TRIGGER_NAMES = [
  "trg_execution_metrics_changes_insert",
  "trg_execution_metrics_changes_update",
  "trg_execution_metrics_changes_delete",
];

const POSTGRES_CHANGES_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_changes_insert AFTER INSERT ON execution_metrics
   REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION skill_metrics_changes()`,
  `CREATE TRIGGER trg_execution_metrics_changes_update AFTER UPDATE ON execution_metrics
   REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION skill_metrics_changes()`,
  `CREATE TRIGGER trg_execution_metrics_changes_delete AFTER DELETE ON execution_metrics
   REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION skill_metrics_changes()`,
];
