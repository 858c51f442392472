import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { ExecutionAnomaly } from "./ExecutionAnomaly.entity";
import { ExecutionMetric } from "./ExecutionMetric.entity";
import { isoTimestampTransformer } from "./timestamp-transformer";

/**
 * What was done about an execution or about an anomaly (exactly one of the two is set): a row of
 * `corrective_actions`, written by CorrectiveActionService. Deleted with the execution or anomaly it is about.
 * The indexes repeat the migration's, so that the schema-agreement test holds.
 */
@Entity({ name: "corrective_actions" })
@Index("IDX_corrective_actions_execution", ["executionId", "createdAt", "actionId"])
@Index("IDX_corrective_actions_anomaly", ["anomalyId", "createdAt", "actionId"])
export class CorrectiveAction {
  /** UUIDv7. */
  @PrimaryColumn({ name: "action_id", type: "varchar", length: 36 })
  actionId!: string;

  /** The execution acted on, or null when the action is about an anomaly. */
  @Column({ name: "execution_id", type: "varchar", length: 36, nullable: true })
  executionId!: string | null;

  @ManyToOne(() => ExecutionMetric, { onDelete: "CASCADE", onUpdate: "NO ACTION", nullable: true })
  @JoinColumn({ name: "execution_id", referencedColumnName: "executionId", foreignKeyConstraintName: "FK_corrective_actions_execution" })
  execution?: ExecutionMetric | null;

  /** The anomaly acted on, or null when the action is about an execution. */
  @Column({ name: "anomaly_id", type: "varchar", length: 36, nullable: true })
  anomalyId!: string | null;

  @ManyToOne(() => ExecutionAnomaly, { onDelete: "CASCADE", onUpdate: "NO ACTION", nullable: true })
  @JoinColumn({ name: "anomaly_id", referencedColumnName: "anomalyId", foreignKeyConstraintName: "FK_corrective_actions_anomaly" })
  anomaly?: ExecutionAnomaly | null;

  /** What was done (≤ 4,096 characters). */
  @Column({ name: "action", type: "text" })
  action!: string;

  /** Who or what did it (≤ 255 characters); null when not given. */
  @Column({ name: "performed_by", type: "varchar", length: 255, nullable: true })
  performedBy!: string | null;

  @Column({ name: "notes", type: "text", nullable: true })
  notes!: string | null;

  @Column({ name: "created_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  createdAt!: Date;
}
