import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";

/**
 * Running totals per skill, kept with the writes, so a profile refresh adds nothing up over the rows.
 *
 * - `skill_changes` (the change marker of PagedIndexes) gains the additive aggregates of the skill's finished
 *   executions: counts, sums and the last start time, and `totals_exact`. The insert trigger adds each finished
 *   row to them in the statement that bumps the version. An update or a delete (feedback, a retention delete, a raw
 *   statement) bumps the version and clears `totals_exact` instead of subtracting: a subtraction of floating-point
 *   sums is not exact (and `max` cannot be undone), so the next refresh recounts that skill from its rows and
 *   stores the totals again, guarded by the version it read.
 * - Floating-point sums are compensated (Neumaier): each sum `x` has a companion `x_c` holding the rounding error of
 *   the additions, and the value is `x + x_c`, as exact as SQLite's own SUM, whatever the number of rows.
 * - No value can make an insert fail: a value too large to add without a risk of overflow is not added and clears
 *   totals_exact instead (see LIMITS).
 * - `skill_failure_categories(skill_id, category, n)`: the failures and timeouts of each skill by category,
 *   counted by an insert trigger the same way (a null category counts as "unknown").
 * - `IDX_execution_metrics_skill_started` gets status, total_duration_ms and api_calls_cost_usd appended after its
 *   page order (skill_id, started_at, execution_id): the trend windows of every skill (count, successes, cost and
 *   the median) are then one covering range read per skill.
 * - Every existing marker starts with `totals_exact` false: the first refresh after the migration recounts each
 *   skill once.
 *
 * PostgreSQL's insert trigger is the statement-level one of PagedIndexes, over the transition table: one upsert
 * per skill and statement, the statement's sums added as one term each.
 */
export class SkillTotals1764633600000 implements MigrationInterface {
  name = "SkillTotals1764633600000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    for (const [name, type] of TOTAL_COLUMNS) {
      const sql = type === "integer" ? (postgres ? "bigint" : "integer") : type === "real" ? "double precision" : "varchar(24)";
      const fallback = type === "text" ? "" : " NOT NULL DEFAULT 0";
      await queryRunner.query(`ALTER TABLE "skill_changes" ADD COLUMN "${name}" ${sql}${fallback}`);
    }
    await queryRunner.query(`ALTER TABLE "skill_changes" ADD COLUMN "totals_exact" boolean NOT NULL DEFAULT false`);
    await queryRunner.createTable(
      new Table({
        name: "skill_failure_categories",
        columns: [
          { name: "skill_id", type: "varchar", length: "255", isPrimary: true },
          { name: "category", type: "varchar", length: "64", isPrimary: true },
          { name: "n", type: "bigint" },
        ],
      }),
    );
    await queryRunner.dropIndex("execution_metrics", SKILL_STARTED);
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: SKILL_STARTED, columnNames: [...OLD_SKILL_STARTED_COLUMNS, ...WINDOW_COLUMNS] }),
    );
    if (postgres) {
      await queryRunner.query(POSTGRES_CHANGES_FUNCTION);
    } else {
      for (const name of SQLITE_CHANGES_TRIGGER_NAMES) await queryRunner.query(`DROP TRIGGER IF EXISTS ${name}`);
      for (const sql of SQLITE_CHANGES_TRIGGERS) await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    if (postgres) {
      await queryRunner.query(OLD_POSTGRES_CHANGES_FUNCTION);
    } else {
      for (const name of SQLITE_CHANGES_TRIGGER_NAMES) await queryRunner.query(`DROP TRIGGER IF EXISTS ${name}`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${SQLITE_CATEGORY_TRIGGER}`);
      for (const sql of OLD_SQLITE_CHANGES_TRIGGERS) await queryRunner.query(sql);
    }
    await queryRunner.dropIndex("execution_metrics", SKILL_STARTED);
    await queryRunner.createIndex(
      "execution_metrics",
      new TableIndex({ name: SKILL_STARTED, columnNames: [...OLD_SKILL_STARTED_COLUMNS] }),
    );
    await queryRunner.dropTable("skill_failure_categories");
    await queryRunner.query(`ALTER TABLE "skill_changes" DROP COLUMN "totals_exact"`);
    for (const [name] of [...TOTAL_COLUMNS].reverse()) {
      await queryRunner.query(`ALTER TABLE "skill_changes" DROP COLUMN "${name}"`);
    }
  }
}

const SKILL_STARTED = "IDX_execution_metrics_skill_started";
/** Frozen copy: the index's columns as PagedIndexes left them. */
const OLD_SKILL_STARTED_COLUMNS = ["skill_id", "started_at", "execution_id"] as const;
const WINDOW_COLUMNS = ["status", "total_duration_ms", "api_calls_cost_usd"] as const;

/**
 * Frozen: the total columns. `count`s add 0 or 1 per row; `sum`s add an integer column, `real`s a floating-point
 * one (or its square) with Neumaier compensation; `last` keeps the latest start.
 *
 * No value may make an insert fail: PostgreSQL raises an error on a floating-point or bigint overflow (SQLite
 * would store a NaN as NULL in a NOT NULL column). So a row's value is added only while its magnitude is below
 * the kind's term limit, and a sum grows only while below its sum limit: every addition stays finite. A row
 * with a larger value (a valid duration of 1e300 ms, say) adds nothing and clears totals_exact, so its skill is
 * recounted from the rows, as after an update.
 */
type TotalKind = "count" | "sum" | "real" | "last";
interface Total {
  readonly name: string;
  readonly kind: TotalKind;
  /** count: the 0/1 term; sum/real: the column added; last: the column kept. `r` is a prefix such as `NEW.`. */
  readonly of: (r: string) => string;
  /** real: add the square of the column. */
  readonly squared?: boolean;
}
const TOTALS: readonly Total[] = [
  { name: "total", kind: "count", of: () => "1" },
  { name: "successful", kind: "count", of: (r) => `CASE WHEN ${r}status = 'success' THEN 1 ELSE 0 END` },
  { name: "failed", kind: "count", of: (r) => `CASE WHEN ${r}status = 'failure' THEN 1 ELSE 0 END` },
  { name: "timed", kind: "count", of: (r) => `CASE WHEN ${r}total_duration_ms IS NULL THEN 0 ELSE 1 END` },
  { name: "sum_duration", kind: "real", of: (r) => `${r}total_duration_ms` },
  { name: "sum_sq_duration", kind: "real", of: (r) => `${r}total_duration_ms`, squared: true },
  { name: "api_calls", kind: "sum", of: (r) => `${r}api_calls_count` },
  { name: "cost", kind: "real", of: (r) => `${r}api_calls_cost_usd` },
  { name: "correctness_n", kind: "count", of: (r) => `CASE WHEN ${r}correctness_score IS NULL THEN 0 ELSE 1 END` },
  { name: "correctness_sum", kind: "real", of: (r) => `${r}correctness_score` },
  { name: "quality_n", kind: "count", of: (r) => `CASE WHEN ${r}output_quality IS NULL THEN 0 ELSE 1 END` },
  { name: "quality_sum", kind: "real", of: (r) => `${r}output_quality` },
  { name: "output_size_n", kind: "count", of: (r) => `CASE WHEN ${r}output_size_bytes IS NULL THEN 0 ELSE 1 END` },
  { name: "output_size_sum", kind: "sum", of: (r) => `${r}output_size_bytes` },
  { name: "feedback", kind: "count", of: (r) => `CASE WHEN ${r}user_feedback_received THEN 1 ELSE 0 END` },
  { name: "satisfaction_n", kind: "count", of: (r) => `CASE WHEN ${r}user_satisfaction IS NULL THEN 0 ELSE 1 END` },
  { name: "satisfaction_sum", kind: "sum", of: (r) => `${r}user_satisfaction` },
  { name: "budgeted", kind: "count", of: (r) => `CASE WHEN ${r}latency_acceptable IS NULL THEN 0 ELSE 1 END` },
  { name: "within_budget", kind: "count", of: (r) => `CASE WHEN ${r}latency_acceptable THEN 1 ELSE 0 END` },
  { name: "last_execution_at", kind: "last", of: (r) => `${r}started_at` },
];

/**
 * Term and sum limits. Reals: a term below 1e290 (a squared column below 1e145), a sum below 1e300; even a
 * statement of 10^9 terms stays below 1e300 + 1e299. Integers: a term below 2^31 (PostgreSQL's integer columns
 * are below it anyway), a bigint sum below 4e18; 10^9 terms add at most 2.1e18, under bigint's 9.2e18.
 */
const LIMITS = { real: { term: "1e290", squared: "1e145", sum: "1e300" }, sum: { term: "2147483648", sum: "4e18" } };

/**
 * Whether row `r`'s value of `total` is within its term limit (null counts as 0). Two comparisons rather than
 * abs(): SQLite's abs() raises an error on the smallest 64-bit integer, which a raw INSERT could store.
 */
function fits(total: Total, r: string): string {
  const limit = total.kind === "real" ? (total.squared ? LIMITS.real.squared : LIMITS.real.term) : LIMITS.sum.term;
  const value = `COALESCE(${total.of(r)}, 0)`;
  return `(${value} < ${limit} AND ${value} > -${limit})`;
}

/** What row `r` adds to `total`: its term, 0 for null or beyond the term limit. */
function term(total: Total, r: string): string {
  if (total.kind === "count" || total.kind === "last") return total.of(r);
  const value = total.squared ? `${total.of(r)} * ${total.of(r)}` : total.of(r);
  return `CASE WHEN ${fits(total, r)} THEN COALESCE(${value}, 0) ELSE 0 END`;
}

const ADDED = TOTALS.filter((t) => t.kind === "sum" || t.kind === "real");

/** Whether every value of row `r` is within its term limit (the row's totals are then exact). */
const rowFits = (r: string) => ADDED.map((t) => fits(t, r)).join(" AND ");

/** The columns added to skill_changes, with their storage kind (each real sum has its `_c` companion). */
type ColumnKind = "integer" | "real" | "text";
const TOTAL_COLUMNS: readonly (readonly [string, ColumnKind])[] = TOTALS.flatMap(
  ({ name, kind }): [string, ColumnKind][] =>
    kind === "real" ? [[name, "real"], [`${name}_c`, "real"]] : [[name, kind === "last" ? "text" : "integer"]],
);

const TOTAL_NAMES = TOTAL_COLUMNS.map(([name]) => name);

/**
 * The SET list of the marker upsert: the existing totals (`old(column)`) plus the incoming ones (`add(column)`,
 * one row's or one statement's), and totals_exact (`yes`/`no`: the dialect's booleans) kept only while the
 * incoming totals were exact and every sum is below its limit. A real sum s with companion c takes the term t by
 * Neumaier's step: s' = s + t, c' = c + (|s| ≥ |t| ? (s − s') + t : (t − s') + s).
 */
function addTotals(old: (column: string) => string, add: (column: string) => string, yes: string, no: string): string {
  const sets = TOTALS.flatMap(({ name, kind }) => {
    const s = old(name);
    const t = add(name);
    if (kind === "last") return [`${name} = CASE WHEN ${s} IS NULL OR ${t} > ${s} THEN ${t} ELSE ${s} END`];
    if (kind === "count") return [`${name} = ${s} + ${t}`];
    const below = `abs(${s}) < ${LIMITS[kind].sum}`;
    if (kind === "sum") return [`${name} = CASE WHEN ${below} THEN ${s} + ${t} ELSE ${s} END`];
    const c = old(`${name}_c`);
    return [
      `${name} = CASE WHEN ${below} THEN ${s} + ${t} ELSE ${s} END`,
      `${name}_c = CASE WHEN ${below} THEN ${c} + CASE WHEN abs(${s}) >= abs(${t}) THEN (${s} - (${s} + ${t})) + ${t} ` +
        `ELSE (${t} - (${s} + ${t})) + ${s} END ELSE ${c} END`,
    ];
  });
  const within = ADDED.map(({ name, kind }) => `abs(${old(name)}) < ${LIMITS[kind as "sum" | "real"].sum}`);
  const exact = [old("totals_exact"), add("totals_exact"), ...within].join(" AND ");
  return [...sets, `totals_exact = CASE WHEN ${exact} THEN ${yes} ELSE ${no} END`].join(", ");
}

/** The inserted values of a new marker, one per TOTAL_NAMES column: `value(total)` each, every companion 0. */
function newTotals(value: (total: Total) => string): string {
  return TOTALS.flatMap((total) => (total.kind === "real" ? [value(total), "0"] : [value(total)])).join(", ");
}

const SQLITE_CATEGORY_TRIGGER = "trg_execution_metrics_failure_categories";
const SQLITE_CHANGES_TRIGGER_NAMES = [
  "trg_execution_metrics_changes_insert",
  "trg_execution_metrics_changes_update",
  "trg_execution_metrics_changes_delete",
];

/** The marker upsert of an update or delete in SQLite's trigger dialect: version bumped, totals to recount. */
const dirty = (skill: string) =>
  `INSERT INTO skill_changes (skill_id, version) VALUES (${skill}, 1) ` +
  `ON CONFLICT (skill_id) DO UPDATE SET version = version + 1, totals_exact = 0;`;

const SQLITE_CHANGES_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_changes_insert AFTER INSERT ON execution_metrics
   WHEN NEW.status <> 'running'
   BEGIN
     INSERT INTO skill_changes (skill_id, version, totals_exact, ${TOTAL_NAMES.join(", ")})
       VALUES (NEW.skill_id, 1, CASE WHEN ${rowFits("NEW.")} THEN 1 ELSE 0 END, ${newTotals((total) => term(total, "NEW."))})
       ON CONFLICT (skill_id) DO UPDATE SET version = version + 1,
         ${addTotals((column) => column, (column) => `excluded.${column}`, "1", "0")};
   END`,
  `CREATE TRIGGER ${SQLITE_CATEGORY_TRIGGER} AFTER INSERT ON execution_metrics
   WHEN NEW.status IN ('failure', 'timeout')
   BEGIN
     INSERT INTO skill_failure_categories (skill_id, category, n)
       VALUES (NEW.skill_id, COALESCE(NEW.error_category, 'unknown'), 1)
       ON CONFLICT (skill_id, category) DO UPDATE SET n = n + 1;
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_update AFTER UPDATE ON execution_metrics
   BEGIN
     ${dirty("OLD.skill_id")}
     INSERT INTO skill_changes (skill_id, version) SELECT NEW.skill_id, 1 WHERE NEW.skill_id <> OLD.skill_id
       ON CONFLICT (skill_id) DO UPDATE SET version = version + 1, totals_exact = 0;
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_delete AFTER DELETE ON execution_metrics
   BEGIN
     ${dirty("OLD.skill_id")}
   END`,
];

/** Frozen copy: PagedIndexes' marker triggers (down restores them). */
const oldBump = (skill: string) =>
  `INSERT INTO skill_changes (skill_id, version) VALUES (${skill}, 1) ` +
  `ON CONFLICT (skill_id) DO UPDATE SET version = version + 1;`;
const OLD_SQLITE_CHANGES_TRIGGERS = [
  `CREATE TRIGGER trg_execution_metrics_changes_insert AFTER INSERT ON execution_metrics
   WHEN NEW.status <> 'running'
   BEGIN
     ${oldBump("NEW.skill_id")}
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_update AFTER UPDATE ON execution_metrics
   BEGIN
     ${oldBump("OLD.skill_id")}
     INSERT INTO skill_changes (skill_id, version) SELECT NEW.skill_id, 1 WHERE NEW.skill_id <> OLD.skill_id
       ON CONFLICT (skill_id) DO UPDATE SET version = version + 1;
   END`,
  `CREATE TRIGGER trg_execution_metrics_changes_delete AFTER DELETE ON execution_metrics
   BEGIN
     ${oldBump("OLD.skill_id")}
   END`,
];

/**
 * PostgreSQL: the statement's finished rows grouped by skill, added to the markers in skill_id order (the order
 * every statement locks markers in); the failure categories the same way. Updates and deletes bump and clear
 * totals_exact. The triggers of PagedIndexes call this function; only its body changes.
 */
const POSTGRES_CHANGES_FUNCTION = `CREATE OR REPLACE FUNCTION skill_metrics_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO skill_changes (skill_id, version, totals_exact, ${TOTAL_NAMES.join(", ")})
      SELECT skill_id, 1, bool_and(${rowFits("")}), ${newTotals((total) =>
        total.kind === "last" ? `MAX(${term(total, "")})` : `SUM(${term(total, "")})`,
      )}
      FROM changed_new WHERE status <> 'running' GROUP BY skill_id ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1,
        ${addTotals((column) => `skill_changes.${column}`, (column) => `EXCLUDED.${column}`, "true", "false")};
    INSERT INTO skill_failure_categories (skill_id, category, n)
      SELECT skill_id, COALESCE(error_category, 'unknown'), COUNT(*) FROM changed_new
      WHERE status IN ('failure', 'timeout') GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (skill_id, category) DO UPDATE SET n = skill_failure_categories.n + EXCLUDED.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO skill_changes (skill_id, version)
      SELECT skill_id, 1 FROM (SELECT skill_id FROM changed_old UNION SELECT skill_id FROM changed_new) s ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1, totals_exact = false;
  ELSE
    INSERT INTO skill_changes (skill_id, version)
      SELECT DISTINCT skill_id, 1 FROM changed_old ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1, totals_exact = false;
  END IF;
  RETURN NULL;
END
$$`;

/** Frozen copy: PagedIndexes' function (down restores it). */
const OLD_POSTGRES_CHANGES_FUNCTION = `CREATE OR REPLACE FUNCTION skill_metrics_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO skill_changes (skill_id, version)
      SELECT DISTINCT skill_id, 1 FROM changed_new WHERE status <> 'running' ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO skill_changes (skill_id, version)
      SELECT skill_id, 1 FROM (SELECT skill_id FROM changed_old UNION SELECT skill_id FROM changed_new) s ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  ELSE
    INSERT INTO skill_changes (skill_id, version)
      SELECT DISTINCT skill_id, 1 FROM changed_old ORDER BY skill_id
      ON CONFLICT (skill_id) DO UPDATE SET version = skill_changes.version + 1;
  END IF;
  RETURN NULL;
END
$$`;
