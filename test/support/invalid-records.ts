import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One case of fixtures/invalid_records.json: the base record with `override` applied and `remove` deleted. */
export interface InvalidCase {
  name: string;
  field: string;
  override?: Record<string, unknown>;
  remove?: string[];
}

/** fixtures/invalid_records.json: a valid base record and the cases that must each be refused. */
export const INVALID_RECORDS = JSON.parse(readFileSync(join(__dirname, "../../fixtures/invalid_records.json"), "utf8")) as {
  base: Record<string, unknown>;
  cases: InvalidCase[];
};
