import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";

/**
 * What the self-improvement phases write about executions: anomalies (Phase 2a), review flags, corrective
 * actions and learning links (Phase 2b), each in its own table.
 *
 * - Every row points at an execution through a foreign key to execution_metrics(execution_id) with ON DELETE
 *   CASCADE: the SDK itself never deletes an execution (it inserts with ON CONFLICT DO NOTHING, imports and
 *   replays included), so the cascade serves the application's own retention (`DELETE FROM execution_metrics
 *   WHERE started_at < …`), which a refusing key would break as soon as one execution had a note. An
 *   annotation says something about one execution, and means nothing once that execution is gone.
 *   Corrective actions point at an execution or at an anomaly (exactly one, checked by the service), and go
 *   with either. On SQLite a trigger does the same cascade, for connections that have not turned
 *   `PRAGMA foreign_keys` on (the sqlite3 shell's default): no annotation outlives its execution.
 * - Anomalies copy the execution's skill_id and started_at, so the time and skill filters of getAnomalies need
 *   no join; their pages are ordered by (started_at, anomaly_id) and every filter has an index in that order.
 *   The review queue's pages are ordered by (created_at, review_id) within a status. Each foreign key column
 *   has an index (the cascade looks rows up by it).
 * - Ids are UUIDv7 text (36 characters), timestamps ISO-8601 UTC text (24), like execution_metrics.
 *
 * Written with TypeORM's Table API, so each driver gets its own DDL. Frozen: later changes are new migrations.
 */
export class Annotations1764547200001 implements MigrationInterface {
  name = "Annotations1764547200001";

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type === "sqlite";
    await queryRunner.createTable(
      new Table({
        name: "execution_anomalies",
        columns: [
          { name: "anomaly_id", type: "varchar", length: "36", isPrimary: true },
          { name: "execution_id", type: "varchar", length: "36" },
          { name: "skill_id", type: "varchar", length: "255" },
          { name: "started_at", type: "varchar", length: "24" },
          { name: "detector", type: "varchar", length: "255" },
          { name: "kind", type: "varchar", length: "64" },
          { name: "score", type: "double precision", isNullable: true },
          { name: "severity", type: "varchar", length: "16", isNullable: true },
          { name: "details", type: "text", isNullable: true },
          { name: "status", type: "varchar", length: "16", default: "'open'" },
          { name: "resolution", type: "varchar", length: "255", isNullable: true },
          { name: "notes", type: "text", isNullable: true },
          { name: "created_at", type: "varchar", length: "24" },
          { name: "resolved_at", type: "varchar", length: "24", isNullable: true },
        ],
        foreignKeys: [executionKey("FK_execution_anomalies_execution")],
        indices: [
          index("IDX_execution_anomalies_execution", ["execution_id"]),
          index("IDX_execution_anomalies_started", ["started_at", "anomaly_id"]),
          index("IDX_execution_anomalies_skill_started", ["skill_id", "started_at", "anomaly_id"]),
          index("IDX_execution_anomalies_detector_started", ["detector", "started_at", "anomaly_id"]),
          index("IDX_execution_anomalies_kind_started", ["kind", "started_at", "anomaly_id"]),
          index("IDX_execution_anomalies_status_started", ["status", "started_at", "anomaly_id"]),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: "execution_reviews",
        columns: [
          { name: "review_id", type: "varchar", length: "36", isPrimary: true },
          { name: "execution_id", type: "varchar", length: "36" },
          { name: "skill_id", type: "varchar", length: "255" },
          { name: "reason", type: "text" },
          { name: "flagged_by", type: "varchar", length: "255", isNullable: true },
          { name: "status", type: "varchar", length: "16", default: "'open'" },
          { name: "resolution", type: "varchar", length: "255", isNullable: true },
          { name: "notes", type: "text", isNullable: true },
          { name: "created_at", type: "varchar", length: "24" },
          { name: "resolved_at", type: "varchar", length: "24", isNullable: true },
        ],
        foreignKeys: [executionKey("FK_execution_reviews_execution")],
        indices: [
          index("IDX_execution_reviews_execution", ["execution_id"]),
          index("IDX_execution_reviews_status_created", ["status", "created_at", "review_id"]),
          index("IDX_execution_reviews_skill_status_created", ["skill_id", "status", "created_at", "review_id"]),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: "corrective_actions",
        columns: [
          { name: "action_id", type: "varchar", length: "36", isPrimary: true },
          { name: "execution_id", type: "varchar", length: "36", isNullable: true },
          { name: "anomaly_id", type: "varchar", length: "36", isNullable: true },
          { name: "action", type: "text" },
          { name: "performed_by", type: "varchar", length: "255", isNullable: true },
          { name: "notes", type: "text", isNullable: true },
          { name: "created_at", type: "varchar", length: "24" },
        ],
        foreignKeys: [
          executionKey("FK_corrective_actions_execution"),
          new TableForeignKey({
            name: "FK_corrective_actions_anomaly",
            columnNames: ["anomaly_id"],
            referencedTableName: "execution_anomalies",
            referencedColumnNames: ["anomaly_id"],
            onDelete: "CASCADE",
            onUpdate: "NO ACTION",
          }),
        ],
        indices: [
          index("IDX_corrective_actions_execution", ["execution_id", "created_at", "action_id"]),
          index("IDX_corrective_actions_anomaly", ["anomaly_id", "created_at", "action_id"]),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: "execution_learnings",
        columns: [
          { name: "execution_id", type: "varchar", length: "36", isPrimary: true },
          { name: "learning_id", type: "varchar", length: "255", isPrimary: true },
          { name: "relation", type: "varchar", length: "64" },
          { name: "created_at", type: "varchar", length: "24" },
        ],
        foreignKeys: [executionKey("FK_execution_learnings_execution")],
        indices: [index("IDX_execution_learnings_learning", ["learning_id", "execution_id"])],
      }),
    );
    if (sqlite) await queryRunner.query(SQLITE_CASCADE_TRIGGER);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === "sqlite") {
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${SQLITE_CASCADE_TRIGGER_NAME}`);
    }
    await queryRunner.dropTable("execution_learnings");
    await queryRunner.dropTable("corrective_actions");
    await queryRunner.dropTable("execution_reviews");
    await queryRunner.dropTable("execution_anomalies");
  }
}

/** The foreign key of an annotation's execution_id: deleting the execution deletes the annotation. */
function executionKey(name: string): TableForeignKey {
  return new TableForeignKey({
    name,
    columnNames: ["execution_id"],
    referencedTableName: "execution_metrics",
    referencedColumnNames: ["execution_id"],
    onDelete: "CASCADE",
    onUpdate: "NO ACTION",
  });
}

function index(name: string, columnNames: string[]): TableIndex {
  return new TableIndex({ name, columnNames });
}

const SQLITE_CASCADE_TRIGGER_NAME = "trg_execution_metrics_annotations_delete";

// Frozen SQL. With foreign keys on, the keys' cascade has already removed these rows and each DELETE finds
// nothing (an index probe each); with them off, this is the cascade.
const SQLITE_CASCADE_TRIGGER = `CREATE TRIGGER ${SQLITE_CASCADE_TRIGGER_NAME} AFTER DELETE ON execution_metrics
   BEGIN
     DELETE FROM corrective_actions WHERE execution_id = OLD.execution_id;
     DELETE FROM corrective_actions WHERE anomaly_id IN
       (SELECT anomaly_id FROM execution_anomalies WHERE execution_id = OLD.execution_id);
     DELETE FROM execution_anomalies WHERE execution_id = OLD.execution_id;
     DELETE FROM execution_reviews WHERE execution_id = OLD.execution_id;
     DELETE FROM execution_learnings WHERE execution_id = OLD.execution_id;
   END`;
