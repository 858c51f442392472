/** Help text of the CLI, per command, in one place (printed by `--help` and after a usage error). */

const GLOBAL_OPTIONS = `Global options:
  --db PATH       SQLite database file (default: env SKILL_METRICS_DB, else execution_metrics.db)
  --db-url URL    PostgreSQL URL postgres://… (default: env SKILL_METRICS_DB_URL); wins over --db
  -h, --help      Show help for the command`;

const EXIT_CODES = `Exit codes:
  0  success
  1  usage error: unknown command or option, missing or malformed value
  2  data or database error: invalid records on import, nothing found, the database failed`;

/** Usage of each command; the key "" is the overview. */
export const USAGE: Readonly<Record<string, string>> = {
  "": `Usage: skill-metrics <command> [options]

Execution metrics of AI agent skills: profiles, errors, CSV/JSON export and import.

Commands:
  migrate                      Create or upgrade the database schema (creates the file)
  profile [--skill S] [--json] Per-skill profiles (success rate, durations, cost, trends)
  errors --skill S [--limit N] [--json]
                               Error analysis of one skill
  export --format F --out FILE|- [--skill S] [--from T] [--to T] [--status X] [--keep-formulas]
                               Export executions (csv, json, ndjson) or profiles (stats); - is standard output
  import FILE [--format F] [--strict] [--batch-size N] [--keep-formulas] [--json]
                               Import a CSV/JSON/NDJSON export (creates the database if needed)
  demo [--dir DIR] [--executions N] [--seed N] [--force]
                               Record weeks of demo history and live calls into ./skill-metrics-demo/
  report --out FILE|- [--skill S] [--from T] [--to T]
                               A self-contained HTML report (tables and charts)
  anomalies [--skill S] [--status open|resolved] [--detector D] [--kind K] [--from T] [--to T] [--limit N] [--json]
                               Anomalies marked on executions, newest first
  review [--skill S] [--status open|resolved] [--limit N] [--json]
                               The review queue: executions flagged for review, oldest first
  compare --skill S --baseline A --candidate B [--from T] [--to T] [--alpha X] [--json]
                               Compare two variants of a skill (duration, success rate, cost; p-values)
  recommendations [--skill S] [--json]
                               Improvement recommendations with the numbers behind them

profile, errors, export, report, anomalies, review, compare and recommendations only read: they open an existing
database read-only and never create, migrate or change it. Times (T) are ISO-8601 with a zone or a bare date (2026-11-27, 2026-11-27T08:00:00Z).

${GLOBAL_OPTIONS}

${EXIT_CODES}

Run "skill-metrics <command> --help" for a command's options.`,

  migrate: `Usage: skill-metrics migrate [--db PATH | --db-url URL]

Runs the pending migrations of the database (creating it if needed) and lists what was applied.

${GLOBAL_OPTIONS}`,

  profile: `Usage: skill-metrics profile [--skill S] [--json]

Prints every skill's profile as a table (stale profiles are recomputed in memory), or one skill's. The
database is opened read-only: it must exist and carry the skill-metrics schema (see migrate).
  --skill S   Only this skill
  --json      Print JSON (snake_case keys) instead of a table

${GLOBAL_OPTIONS}`,

  errors: `Usage: skill-metrics errors --skill S [--limit N] [--json]

Prints the error analysis of one skill: failures by category and the most recent errors.
  --skill S   The skill (required)
  --limit N   How many recent errors to list (default 10)
  --json      Print JSON instead of tables

${GLOBAL_OPTIONS}`,

  export: `Usage: skill-metrics export --format csv|json|ndjson|stats --out FILE [filters]

Streams executions (or, with stats, all skill profiles) to FILE, or to standard output with --out -. A
regular file appears only when the export succeeded (it is written under a temporary name and renamed); a
FIFO, a device or a symlink's target is written through. The database being read (or its -wal, -shm,
-journal) is refused as FILE. The database is opened read-only.
  --format F        csv (default), json (one array), ndjson (one object per line), stats (profiles)
  --out FILE|-      Destination file, or - for standard output (required)
  --skill S         Only this skill
  --from T          Only executions started at or after T (ISO-8601 with a zone or a date: 2026-11-27,
                    2026-11-27T08:00:00Z; a real date in years 0000-9999)
  --to T            Only executions started before T
  --status X        Only this status: running, success, failure, timeout
  --keep-formulas   CSV: do not prefix ' to cells starting with = + - @ TAB CR (formula neutralization is on by default)

${GLOBAL_OPTIONS}

${EXIT_CODES}`,

  import: `Usage: skill-metrics import FILE [--format csv|json|ndjson] [--strict] [--batch-size N]

Imports an export of this tool. Every record is validated; valid ones are written in batches, invalid ones
are listed with their line, field and rule. Records already present (same execution_id) are skipped.
  --format F        csv, json or ndjson (default: from the file extension)
  --strict          Refuse the whole file on the first invalid record; nothing is written
  --batch-size N    Records per transaction (default 1000)
  --keep-formulas   CSV: the file was exported with --keep-formulas (do not strip a leading ')
  --json            Print the import report as JSON

The file must be UTF-8 (an invalid byte is reported with its byte offset and line) and strict CSV/JSON (no
trailing commas or comments). A CSV header naming a column twice refuses the file; a column that is not an
execution_metrics column is refused with --strict and otherwise left out and reported. A cell longer than
4,194,304 or a record longer than 8,388,608 UTF-16 code units is refused without being held in memory. A
syntax error stops a non-strict import: the records before it are committed, and importing the repaired
file again finishes the job (records already present are skipped).

Exit code 2 when any record was invalid or the import stopped.

${GLOBAL_OPTIONS}`,

  demo: `Usage: skill-metrics demo [--dir DIR] [--executions N] [--seed N] [--db PATH] [--force]

Writes ONLY into its own folder, ./skill-metrics-demo/ unless --dir is given (created if missing; an existing
folder that is not empty is refused with exit code 2 unless --force). It creates a fresh demo database there
(demo_metrics.db unless --db is given; SKILL_METRICS_DB is ignored so that a real database is never touched),
records four weeks of seeded history (a skill getting faster, one getting cheaper, one whose success rate falls,
one failing, one slow), then runs realistic decorated skills live (CSV reader, JSON writer, an LLM call with
simulated tokens, cost and api_error failures, a skill that sometimes times out, nested pipelines under one
job), prints the profile table with its trends, and writes metrics_export.csv, metrics_export.json, stats.json
and report.html into the folder.
  --dir DIR        The demo's folder (default skill-metrics-demo)
  --executions N   About how many live executions to record today (default 3000)
  --seed N         Seed of the pseudo-random generator (default 42): the same seed, the same history and mix
  --force          Write into a folder that is not empty, and let --db name a file that exists (both replaced)

${GLOBAL_OPTIONS}`,

  report: `Usage: skill-metrics report --out FILE [--skill S] [--from T] [--to T]

Writes ONE self-contained HTML file (inline SVG charts and CSS, no network at view time): a sortable table of
every skill profile with slow and failing skills highlighted, and per skill a latency histogram (median, p95,
p99 marked), executions and success rate over time, failure categories, cost and tokens over time, and the
trend flags; then the definitions of every statistic. The charts are drawn with the echarts package, an
optional peer dependency: without it the command exits 1 and says to run \`npm install echarts\`.
  --out FILE|-    Where to write (a temporary name first, renamed when complete), - for standard output
  --skill S       Only this skill
  --from T        Charts cover executions started at or after T (ISO-8601 date or time)
  --to T          … and before T (exclusive)

${GLOBAL_OPTIONS}

${EXIT_CODES}`,
  anomalies: `Usage: skill-metrics anomalies [--skill S] [--status open|resolved] [--detector D] [--kind K] [--from T] [--to T] [--limit N] [--json]

Lists the anomalies detectors marked on executions (markAnomaly), newest execution first: when the execution
started, its skill, the detector, kind, severity, score, status and resolution. The database is opened
read-only.
  --skill S         Only anomalies of this skill's executions
  --status X        Only open or only resolved ones (default: both)
  --detector D      Only this detector's
  --kind K          Only this kind
  --from T          Only executions started at or after T (ISO-8601 date or time)
  --to T            … and before T (exclusive)
  --limit N         At most N rows, the newest (default 100, at most 10000)
  --json            Print a JSON array (snake_case keys, details as an object) instead of a table

${GLOBAL_OPTIONS}

${EXIT_CODES}`,

  review: `Usage: skill-metrics review [--skill S] [--status open|resolved] [--limit N] [--json]

Lists the review queue: executions flagged for review (flagForReview), oldest flag first, with the reason,
who flagged it, and how it was resolved. The database is opened read-only.
  --skill S         Only flags of this skill's executions
  --status X        open (default: the queue) or resolved
  --limit N         At most N rows, the oldest (default 100, at most 10000)
  --json            Print a JSON array (snake_case keys) instead of a table

${GLOBAL_OPTIONS}

${EXIT_CODES}`,

  compare: `Usage: skill-metrics compare --skill S --baseline A --candidate B [--from T] [--to T] [--alpha X] [--json]

Compares the finished executions of two variants of a skill (recorded with variant A and B): median duration
(Mann-Whitney U test), success rate (pooled two-proportion z-test) and mean cost per execution (Welch's
t-test), each with the sample sizes, difference, relative change, two-sided p-value and a verdict for the
candidate (better, worse, no significant difference), and an overall verdict. The database is opened read-only.
  --skill S         The skill (required)
  --baseline A      The variant compared against (required)
  --candidate B     The variant under test (required)
  --from T          Only executions started at or after T (ISO-8601 date or time)
  --to T            … and before T (exclusive)
  --alpha X         Significance level, between 0 and 1 (default 0.05)
  --json            Print the comparison as JSON instead of a table

${GLOBAL_OPTIONS}

${EXIT_CODES}`,

  recommendations: `Usage: skill-metrics recommendations [--skill S] [--json]

Prints the recommendations of the rule set (promote or retire a variant, a success-rate decline, p95 or cost
growth week over week, a dominant error category), each with the numbers behind it. The database is opened
read-only.
  --skill S         Only this skill
  --json            Print a JSON array of { kind, skillId, message, evidence } instead of text

${GLOBAL_OPTIONS}

${EXIT_CODES}`,
};
