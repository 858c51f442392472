import { Column, Entity, PrimaryColumn } from "typeorm";

/** How bad an error category is. */
export type ErrorSeverity = "low" | "medium" | "high" | "critical";

/** A reference row of `error_categories`, seeded by a migration with the built-in categories. */
@Entity({ name: "error_categories" })
export class ErrorCategory {
  @PrimaryColumn({ name: "category_id", type: "varchar", length: 64 })
  categoryId!: string;

  @Column({ name: "category_name", type: "varchar", length: 255 })
  categoryName!: string;

  @Column({ name: "description", type: "text" })
  description!: string;

  @Column({ name: "severity", type: "varchar", length: 16 })
  severity!: ErrorSeverity;
}

