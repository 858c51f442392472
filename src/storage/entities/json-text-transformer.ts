import type { ValueTransformer } from "typeorm";

/**
 * Stores a JSON value as its JSON text (a `text` column on every database, so SQLite and PostgreSQL keep the
 * same bytes) and reads it back parsed. null stays null.
 */
export const jsonTextTransformer: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value)),
  from: (value: string | null) => (value === null ? null : (JSON.parse(value) as unknown)),
};
