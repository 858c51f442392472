import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { ExecutionMetric } from "./ExecutionMetric.entity";
import { isoTimestampTransformer } from "./timestamp-transformer";

/**
 * A link between an execution and a learning of Phase 2b (whose own store is the learner's): a row of
 * `execution_learnings`, one per (execution, learning) pair, written by LearningLinkService. Deleted with its
 * execution (foreign key ON DELETE CASCADE).
 */
@Entity({ name: "execution_learnings" })
@Index("IDX_execution_learnings_learning", ["learningId", "executionId"])
export class LearningLink {
  @PrimaryColumn({ name: "execution_id", type: "varchar", length: 36 })
  executionId!: string;

  /** The learner's id of the learning (≤ 255 characters). */
  @PrimaryColumn({ name: "learning_id", type: "varchar", length: 255 })
  learningId!: string;

  /** The execution, when a query joins it; undefined otherwise. */
  @ManyToOne(() => ExecutionMetric, { onDelete: "CASCADE", onUpdate: "NO ACTION", nullable: false })
  @JoinColumn({ name: "execution_id", referencedColumnName: "executionId", foreignKeyConstraintName: "FK_execution_learnings_execution" })
  execution?: ExecutionMetric;

  /** How the execution relates to the learning (≤ 64 characters), "related" unless given. */
  @Column({ name: "relation", type: "varchar", length: 64 })
  relation!: string;

  /** When the link was made (re-linking keeps it). */
  @Column({ name: "created_at", type: "varchar", length: 24, transformer: isoTimestampTransformer })
  createdAt!: Date;
}
