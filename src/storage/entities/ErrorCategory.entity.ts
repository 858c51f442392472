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

/** The built-in categories: the specification's, with the severity this SDK gives them. */
export const BUILT_IN_ERROR_CATEGORIES: readonly Readonly<ErrorCategory>[] = [
  { categoryId: "timeout", categoryName: "Timeout", description: "Execution exceeded time limit", severity: "medium" },
  { categoryId: "out_of_memory", categoryName: "Out of memory", description: "Memory exhausted", severity: "critical" },
  { categoryId: "api_error", categoryName: "API error", description: "External API failure", severity: "high" },
  {
    categoryId: "input_validation",
    categoryName: "Input validation",
    description: "Input didn't meet requirements",
    severity: "low",
  },
  {
    categoryId: "output_validation",
    categoryName: "Output validation",
    description: "Output failed quality check",
    severity: "medium",
  },
  { categoryId: "unknown", categoryName: "Unknown", description: "Unclassified error", severity: "medium" },
];
