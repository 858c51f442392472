import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import type { AnnotationStatus, AnomalySeverity } from "../../model/annotation-values";
import { ExecutionMetric } from "./ExecutionMetric.entity";
import { jsonTextTransformer } from "./json-text-transformer";
import { isoTimestampTransformer } from "./timestamp-transformer";

/**
 * An anomaly a detector marked on one execution (Phase 2a): a row of `execution_anomalies`, written by
 * AnomalyService. skill_id and started_at are the execution's, copied so that the skill and time filters of
 * getAnomalies need no join. Deleted with its execution (foreign key ON DELETE CASCADE).
 * The indexes repeat the migration's (which says what each serves), so that the schema-agreement test holds.
 */
@Entity({ name: "execution_anomalies" })
@Index("IDX_execution_anomalies_execution", ["executionId"])
@Index("IDX_execution_anomalies_started", ["startedAt", "anomalyId"])
@Index("IDX_execution_anomalies_skill_started", ["skillId", "startedAt", "anomalyId"])
@Index("IDX_execution_anomalies_detector_started", ["detector", "startedAt", "anomalyId"])
@Index("IDX_execution_anomalies_kind_started", ["kind", "startedAt", "anomalyId"])
@Index("IDX_execution_anomalies_status_started", ["status", "startedAt", "anomalyId"])
export class ExecutionAnomaly {
  /** UUIDv7. */
  @PrimaryColumn({ name: "anomaly_id", type: "varchar", length: 36 })
  anomalyId!: string;

  @Column({ name: "execution_id", type: "varchar", length: 36 })
  executionId!: string;

  /** The execution, when a query joins it; undefined otherwise. */
  @ManyToOne(() => ExecutionMetric, { onDelete: "CASCADE", onUpdate: "NO ACTION", nullable: false })
  @JoinColumn({ name: "execution_id", referencedColumnName: "executionId", foreignKeyConstraintName: "FK_execution_anomalies_execution" })
  execution?: ExecutionMetric;

  /** The execution's skill_id. */
  @Column({ name: "skill_id", type: "varchar", length: 255 })
  skillId!: string;

  /** The execution's started_at. */
  @Column({ name: "started_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  startedAt!: Date;

  /** Which detector marked it (≤ 255 characters). */
  @Column({ name: "detector", type: "varchar", length: 255 })
  detector!: string;

  /** What kind of anomaly (≤ 64 characters), e.g. "slow", "cost_spike". */
  @Column({ name: "kind", type: "varchar", length: 64 })
  kind!: string;

  /** The detector's score, any finite number; null when none was given. */
  @Column({ name: "score", type: "double precision", nullable: true })
  score!: number | null;

  /** low, medium, high or critical; null when none was given. */
  @Column({ name: "severity", type: "varchar", length: 16, nullable: true })
  severity!: AnomalySeverity | null;

  /** The detector's details (an object, stored as its JSON text); null when none were given. */
  @Column({ name: "details", type: "text", nullable: true, transformer: jsonTextTransformer })
  details!: Record<string, unknown> | null;

  /** open until resolveAnomaly. */
  @Column({ name: "status", type: "varchar", length: 16, default: "open" })
  status!: AnnotationStatus;

  @Column({ name: "resolution", type: "varchar", length: 255, nullable: true })
  resolution!: string | null;

  @Column({ name: "notes", type: "text", nullable: true })
  notes!: string | null;

  @Column({ name: "created_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  createdAt!: Date;

  @Column({ name: "resolved_at", type: "varchar", length: 24, nullable: true, transformer: isoTimestampTransformer })
  resolvedAt!: Date | null;
}
