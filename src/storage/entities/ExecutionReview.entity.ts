import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import type { AnnotationStatus } from "../../model/annotation-values";
import { ExecutionMetric } from "./ExecutionMetric.entity";
import { isoTimestampTransformer } from "./timestamp-transformer";

/**
 * A flag asking a person to review one execution (Phase 2b): a row of `execution_reviews`, written by
 * ReviewService. Deleted with its execution (foreign key ON DELETE CASCADE).
 * The indexes repeat the migration's, so that the schema-agreement test holds.
 */
@Entity({ name: "execution_reviews" })
@Index("IDX_execution_reviews_execution", ["executionId"])
@Index("IDX_execution_reviews_status_created", ["status", "createdAt", "reviewId"])
@Index("IDX_execution_reviews_skill_status_created", ["skillId", "status", "createdAt", "reviewId"])
export class ExecutionReview {
  /** UUIDv7. */
  @PrimaryColumn({ name: "review_id", type: "varchar", length: 36 })
  reviewId!: string;

  @Column({ name: "execution_id", type: "varchar", length: 36 })
  executionId!: string;

  /** The execution, when a query joins it; undefined otherwise. */
  @ManyToOne(() => ExecutionMetric, { onDelete: "CASCADE", onUpdate: "NO ACTION", nullable: false })
  @JoinColumn({ name: "execution_id", referencedColumnName: "executionId", foreignKeyConstraintName: "FK_execution_reviews_execution" })
  execution?: ExecutionMetric;

  /** The execution's skill_id. */
  @Column({ name: "skill_id", type: "varchar", length: 255 })
  skillId!: string;

  /** Why it was flagged (≤ 4,096 characters). */
  @Column({ name: "reason", type: "text" })
  reason!: string;

  /** Who or what flagged it (≤ 255 characters); null when not given. */
  @Column({ name: "flagged_by", type: "varchar", length: 255, nullable: true })
  flaggedBy!: string | null;

  /** open until resolveReview. */
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
