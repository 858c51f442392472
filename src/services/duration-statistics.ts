import { FINISHED, type Query, toNumber, toNumberOrNull } from "../storage/sql-support";
import { interpolate, percentilePosition } from "./statistics";

/**
 * A set of finished executions, as extra conditions on execution_metrics: `where` uses `?` placeholders bound
 * to `params`. The finished-only condition is always added, so callers describe only the skill and time range.
 */
export interface DurationScope {
  readonly where: string;
  readonly params: readonly unknown[];
}

function finishedWhere(scope: DurationScope): string {
  return `${FINISHED} AND ${scope.where}`;
}

/** One request of {@link durationPercentilesBatch}: percentiles `ps` of the `count` executions of `scope`. */
export interface PercentileRequest {
  readonly scope: DurationScope;
  /** The scope's exact count of finished executions. */
  readonly count: number;
  /** Fractions in [0, 1]. */
  readonly ps: readonly number[];
}

/** SQLite allows 500 terms in a compound SELECT; stay well under it. */
const TERMS_PER_STATEMENT = 200;

/**
 * total_duration_ms at percentiles `ps` (fractions) of the `count` finished executions of `scope`, by
 * {@link percentilePosition} and {@link interpolate}.
 */
export async function durationPercentiles(
  query: Query,
  scope: DurationScope,
  count: number,
  ps: readonly number[],
): Promise<(number | null)[]> {
  return (await durationPercentilesBatch(query, [{ scope, count, ps }]))[0];
}

/**
 * Percentiles of many scopes at once (results in request order).
 *
 * Each neighbour pair x[lo], x[hi] is one ordered scan of the profile index (skill_id, total_duration_ms, …)
 * that stops after two rows, `ORDER BY total_duration_ms LIMIT 2 OFFSET k`, walking from whichever end is
 * nearer, so p95/p99 cost ~5%/1% of a skill's entries and the median half. The scans of all requests go to the
 * database as UNION ALL statements of up to 200 terms, because a statement's round trip through TypeORM costs
 * ~0.5 ms, more than a short scan. Never loads the durations into JS.
 */
export async function durationPercentilesBatch(
  query: Query,
  requests: readonly PercentileRequest[],
): Promise<(number | null)[][]> {
  interface Term {
    readonly request: number;
    readonly ascending: boolean;
    readonly offset: number;
    readonly first: number;
    values: number[];
  }
  const terms: Term[] = [];
  const termFor = new Map<string, Term>();
  const positions = requests.map((request, index) =>
    request.count === 0
      ? []
      : request.ps.map((p) => {
          const position = percentilePosition(request.count, p);
          const ascending = position.lo < request.count / 2;
          const offset = ascending ? position.lo : request.count - 1 - position.hi;
          const key = `${index}:${ascending}:${offset}`;
          let term = termFor.get(key);
          if (!term) {
            term = { request: index, ascending, offset, first: ascending ? position.lo : position.hi, values: [] };
            termFor.set(key, term);
            terms.push(term);
          }
          return { position, term };
        }),
  );

  for (let start = 0; start < terms.length; start += TERMS_PER_STATEMENT) {
    const chunk = terms.slice(start, start + TERMS_PER_STATEMENT);
    const params: unknown[] = [];
    const sql = chunk
      .map((term, i) => {
        const scope = requests[term.request].scope;
        params.push(...scope.params);
        return (
          `SELECT ${i} AS t, d FROM (SELECT total_duration_ms AS d FROM execution_metrics WHERE ${finishedWhere(scope)} ` +
          `ORDER BY total_duration_ms ${term.ascending ? "ASC" : "DESC"} LIMIT 2 OFFSET ${term.offset}) AS s${i}`
        );
      })
      .join(" UNION ALL ");
    for (const row of await query<{ t: unknown; d: unknown }>(sql, params)) {
      chunk[toNumber(row.t)].values.push(toNumber(row.d));
    }
  }

  return positions.map((list, index) => {
    if (requests[index].count === 0) return requests[index].ps.map(() => null);
    return list.map(({ position, term }) => {
      // A term's two rows come back in no promised order; their values are neighbours in sorted order.
      const sorted = [...term.values].sort((a, b) => a - b);
      const rank = (r: number) => {
        const i = term.ascending ? r - term.first : sorted.length - 1 - (term.first - r);
        const value = sorted[i];
        if (value === undefined) {
          throw new Error(`durationPercentiles: the scope holds fewer than the ${requests[index].count} rows it was said to hold`);
        }
        return value;
      };
      const a = rank(position.lo);
      return position.lo === position.hi ? a : interpolate(a, rank(position.hi), position.fraction);
    });
  });
}

/**
 * Σ (total_duration_ms − mean)² of each skill's finished executions, for many skills per statement: one
 * aggregate term per skill, each reading its skill's range of the profile index once, joined by UNION ALL (up
 * to 200 terms). Measured faster than joining the means as a VALUES list, which makes SQLite sort every row
 * for the GROUP BY.
 */
export async function sumSquaredDeviationsBySkill(
  query: Query,
  means: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const entries = [...means];
  for (let start = 0; start < entries.length; start += TERMS_PER_STATEMENT) {
    const chunk = entries.slice(start, start + TERMS_PER_STATEMENT);
    const params: unknown[] = [];
    const sql = chunk
      .map(([skillId, mean], i) => {
        params.push(mean, mean, skillId);
        return (
          `SELECT ${i} AS t, SUM((total_duration_ms - ?) * (total_duration_ms - ?)) AS s ` +
          `FROM execution_metrics WHERE ${FINISHED} AND skill_id = ?`
        );
      })
      .join(" UNION ALL ");
    for (const row of await query<{ t: unknown; s: unknown }>(sql, params)) {
      result.set(chunk[toNumber(row.t)][0], toNumberOrNull(row.s) ?? 0);
    }
  }
  return result;
}
