import type { DataSource } from "typeorm";
import { SkillProfile } from "../storage/entities/SkillProfile.entity";

/**
 * A profile as a plain object with the snake_case column names as keys (in column order) and ISO-8601 UTC
 * timestamps: the form of stats.json's profiles and of `skill-metrics profile --json`.
 */
export function profileToPlain(dataSource: DataSource, profile: SkillProfile): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const column of dataSource.getMetadata(SkillProfile).columns) {
    const value = (profile as unknown as Record<string, unknown>)[column.propertyName];
    plain[column.databaseName] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return plain;
}
