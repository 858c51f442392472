import type { DataSource } from "typeorm";
import { AnomalyService } from "../services/AnomalyService";
import { dialectOf } from "../storage/dialect";
import type { ExecutionAnomaly } from "../storage/entities/ExecutionAnomaly.entity";
import { queryFor, toNumber } from "../storage/sql-support";
import { escapeHtml } from "./report-html";

/** How many of a skill's anomalies its report section lists (the newest); the counts cover all of them. */
export const REPORT_ANOMALIES_LISTED = 5;

/** A skill's anomalies in the report's range: counts by status, and the newest few. */
export interface SkillAnomalies {
  readonly open: number;
  readonly resolved: number;
  /** The newest {@link REPORT_ANOMALIES_LISTED}, newest execution first. */
  readonly newest: readonly ExecutionAnomaly[];
}

/**
 * The anomalies of `skillIds` whose execution started in [from, to) (each bound optional, ISO text): one
 * GROUP BY over execution_anomalies for the counts (nothing more when no skill has any, the usual case), then
 * one page of getAnomalies per skill that has some. Skills without anomalies are absent from the map.
 */
export async function loadSkillAnomalies(
  dataSource: DataSource,
  skillIds: ReadonlySet<string>,
  range: { from?: string; to?: string },
): Promise<Map<string, SkillAnomalies>> {
  const conditions: string[] = [];
  const params: string[] = [];
  if (range.from !== undefined) conditions.push("started_at >= ?"), params.push(range.from);
  if (range.to !== undefined) conditions.push("started_at < ?"), params.push(range.to);
  const query = queryFor(dataSource, dialectOf(dataSource));
  const rows = await query<{ skill_id: string; status: string; n: unknown }>(
    `SELECT skill_id, status, COUNT(*) AS n FROM execution_anomalies${conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : ""}
     GROUP BY skill_id, status`,
    params,
  );
  const counts = new Map<string, { open: number; resolved: number }>();
  for (const row of rows) {
    if (!skillIds.has(row.skill_id)) continue;
    const entry = counts.get(row.skill_id) ?? { open: 0, resolved: 0 };
    if (row.status === "open") entry.open += toNumber(row.n);
    else entry.resolved += toNumber(row.n);
    counts.set(row.skill_id, entry);
  }
  const anomalies = new AnomalyService(dataSource);
  const result = new Map<string, SkillAnomalies>();
  for (const [skillId, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const page = await anomalies.getAnomalies({ skillId, from: range.from, to: range.to, limit: REPORT_ANOMALIES_LISTED });
    result.set(skillId, { ...count, newest: page.items });
  }
  return result;
}

/** The "Anomalies" part of a skill's section: the counts, then a small table of the newest ones. */
export function anomaliesHtml(anomalies: SkillAnomalies): string {
  const total = anomalies.open + anomalies.resolved;
  const shown = anomalies.newest.length;
  const rows = anomalies.newest.map((a) =>
    [
      a.startedAt.toISOString(),
      a.detector,
      a.kind,
      a.severity ?? "—",
      a.score === null ? "—" : String(a.score),
      a.status === "resolved" ? `resolved: ${a.resolution ?? ""}` : "open",
      a.executionId,
    ]
      .map((cell) => `<td>${escapeHtml(cell)}</td>`)
      .join(""),
  );
  return [
    "<h3>Anomalies</h3>",
    `<p class="note">${anomalies.open} open, ${anomalies.resolved} resolved in this range` +
      `${total > shown ? `; the newest ${shown}` : ""}.</p>`,
    '<table class="anomalies"><thead><tr><th>execution started</th><th>detector</th><th>kind</th><th>severity</th>' +
      "<th>score</th><th>status</th><th>execution</th></tr></thead>",
    `<tbody>${rows.map((r) => `<tr>${r}</tr>`).join("\n")}</tbody></table>`,
  ].join("\n");
}
