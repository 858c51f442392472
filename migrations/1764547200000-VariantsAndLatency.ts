import { type MigrationInterface, type QueryRunner, TableIndex } from "typeorm";

/**
 * Variants, experiments and latency budgets.
 *
 * - `execution_metrics` gains `variant` (≤ 64 characters), `experiment_id` (≤ 255) and `latency_acceptable`
 *   (true when the execution finished within the latency budget it was given, false when over it, null without
 *   a budget), all nullable: rows written before this migration have none of them.
 * - `IDX_execution_metrics_skill_variant` (skill_id, variant, started_at): a comparison of two variants of a skill
 *   over a time window reads one index range per variant.
 * - The profile's covering index gets `latency_acceptable` appended, so the profile computation, which now counts
 *   it, still reads the index alone.
 * - `skill_profiles` gains `latency_acceptable_rate`.
 *
 * Columns are added with ALTER TABLE … ADD COLUMN on both dialects: TypeORM's addColumn rebuilds a SQLite table,
 * which would drop the triggers on execution_metrics. SQLite drops columns in place since 3.35 (down).
 */
export class VariantsAndLatency1764547200000 implements MigrationInterface {
  name = "VariantsAndLatency1764547200000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    const text = (length: number) => (postgres ? `character varying(${length})` : `varchar(${length})`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" ADD COLUMN "variant" ${text(64)}`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" ADD COLUMN "experiment_id" ${text(255)}`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" ADD COLUMN "latency_acceptable" boolean`);
    await queryRunner.query(`ALTER TABLE "skill_profiles" ADD COLUMN "latency_acceptable_rate" double precision`);
    // One at a time, as in QueryIndexes: parallel index creation races on SQLite's table cache.
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: SKILL_VARIANT, columnNames: ["skill_id", "variant", "started_at"] }),
    );
    await queryRunner.dropIndex("execution_metrics", SKILL_PROFILE);
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: SKILL_PROFILE, columnNames: [...OLD_PROFILE_INDEX_COLUMNS, "latency_acceptable"] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("execution_metrics", SKILL_PROFILE);
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: SKILL_PROFILE, columnNames: [...OLD_PROFILE_INDEX_COLUMNS] }),
    );
    await queryRunner.dropIndex("execution_metrics", SKILL_VARIANT);
    await queryRunner.query(`ALTER TABLE "skill_profiles" DROP COLUMN "latency_acceptable_rate"`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" DROP COLUMN "latency_acceptable"`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" DROP COLUMN "experiment_id"`);
    await queryRunner.query(`ALTER TABLE "execution_metrics" DROP COLUMN "variant"`);
  }
}

const SKILL_VARIANT = "IDX_execution_metrics_skill_variant";
const SKILL_PROFILE = "IDX_execution_metrics_skill_profile";

/** Frozen copy: the profile index's columns as QueryIndexes created them. */
const OLD_PROFILE_INDEX_COLUMNS = [
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
