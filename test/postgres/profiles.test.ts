import { ProfileService, type ProfileServiceOptions } from "../../src/services/ProfileService";
import { SkillProfile } from "../../src/storage/entities/SkillProfile.entity";
import { at, DAY, expectedProfiles, finished, fixtureRows, seed } from "../integration/services/seed";
import { validateMetricRecord } from "../../src/validation/validate-record";
import { describePg } from "./pg-database";
import { createTwinDatabases, expectCloseDeep, type TwinDatabases } from "./twin-databases";

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A profile as a plain object with ISO timestamps, for comparison. */
function plain(profile: SkillProfile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profile)) out[key] = value instanceof Date ? value.toISOString() : value;
  return out;
}

describePg("ProfileService on the fixtures", () => {
  const expected = expectedProfiles();
  const options: ProfileServiceOptions = {
    clock: () => new Date(expected.now),
    trendWindowMillis: expected.trend_window_days * DAY,
    trendMinSample: expected.trend_min_sample,
    trendThreshold: expected.trend_threshold,
  };
  let twins: TwinDatabases;

  beforeAll(async () => {
    twins = await createTwinDatabases("profiles", [
      ...fixtureRows("success_cases"),
      ...fixtureRows("failure_cases"),
      ...fixtureRows("edge_cases"),
    ]);
  });

  afterAll(async () => {
    await twins?.cleanup();
  });

  it("refresh() on PostgreSQL gives every field as numpy computed it (1e-9 relative)", async () => {
    const profiles = await new ProfileService(twins.pg, options).refresh();
    expect(profiles.map((p) => p.skillId).sort()).toEqual(expected.profiles.map((p) => p.skill_id as string).sort());
    for (const want of expected.profiles) {
      const got = plain(profiles.find((p) => p.skillId === want.skill_id)!);
      for (const [key, value] of Object.entries(want)) {
        expectCloseDeep(got[camel(key)], value, `${String(want.skill_id)}.${key}`);
      }
      expect(got.calculatedAt).toBe(expected.now);
    }
    // What was stored is what was returned.
    const stored = await twins.pg.getRepository(SkillProfile).find();
    expectCloseDeep(
      stored.map(plain).sort((a, b) => String(a.skillId).localeCompare(String(b.skillId))),
      profiles.map(plain).sort((a, b) => String(a.skillId).localeCompare(String(b.skillId))),
    );
  });

  it("the same profiles, in the same order, as SQLite (skill ids with quotes, accents, CJK and emoji included)", async () => {
    const pg = await new ProfileService(twins.pg, options).refresh();
    const sqlite = await new ProfileService(twins.sqlite, options).refresh();
    expect(pg.map((p) => p.skillId)).toEqual(sqlite.map((p) => p.skillId));
    expectCloseDeep(pg.map(plain), sqlite.map(plain));
    const all = await new ProfileService(twins.pg, options).getSkillProfiles();
    expect(all.map((p) => p.skillId)).toEqual(sqlite.map((p) => p.skillId));
  });
});

describePg("ProfileService freshness on PostgreSQL", () => {
  let twins: TwinDatabases;
  const T0 = "2026-05-01T00:00:00.000Z";

  beforeEach(async () => {
    twins = await createTwinDatabases("freshness");
  });

  afterEach(async () => {
    await twins?.cleanup();
  });

  it("serves the stored row while nothing changed, recomputes after an insert, an update (trigger) or a delete", async () => {
    const service = new ProfileService(twins.pg);
    await seed(twins.pg, [finished("s", T0, 10), finished("s", at(T0, 1000), 30)]);
    const first = (await service.getSkillProfile("s"))!;
    expect(first.totalExecutions).toBe(2);
    expect(first.meanDurationMs).toBe(20);
    expect((await service.getSkillProfile("s"))!.calculatedAt.getTime()).toBe(first.calculatedAt.getTime());

    await seed(twins.pg, [finished("s", at(T0, 2000), 50)]);
    expect((await service.getSkillProfile("s"))!.meanDurationMs).toBe(30);

    // The PL/pgSQL trigger drops the stored row on UPDATE and on DELETE.
    await twins.pg.query(`UPDATE execution_metrics SET total_duration_ms = 110 WHERE total_duration_ms = 50`);
    expect(await twins.pg.query(`SELECT skill_id FROM skill_profiles`)).toEqual([]);
    expect((await service.getSkillProfile("s"))!.meanDurationMs).toBe(50);
    await twins.pg.query(`DELETE FROM execution_metrics WHERE total_duration_ms = 110`);
    expect(await twins.pg.query(`SELECT skill_id FROM skill_profiles`)).toEqual([]);
    expect((await service.getSkillProfile("s"))!.meanDurationMs).toBe(20);
    await twins.pg.query(`DELETE FROM execution_metrics`);
    expect(await service.getSkillProfile("s")).toBeNull();
  });

  it("the statement-level triggers bump one marker per skill and statement; running rows bump none", async () => {
    const markers = async () =>
      Object.fromEntries(
        ((await twins.pg.query(`SELECT skill_id, version, profiled_version FROM skill_changes ORDER BY skill_id COLLATE "C"`)) as {
          skill_id: string;
          version: string;
          profiled_version: string | null;
        }[]).map((r) => [r.skill_id, [Number(r.version), r.profiled_version === null ? null : Number(r.profiled_version)]]),
      );
    await seed(twins.pg, [finished("a", T0, 1), finished("a", at(T0, 1), 2), finished("b", T0, 3), { skill_id: "r", started_at: T0, status: "running" }]);
    expect(await markers()).toEqual({ a: [1, null], b: [1, null] });
    const service = new ProfileService(twins.pg);
    const fresh = await service.getSkillProfiles();
    expect(await markers()).toEqual({ a: [1, 1], b: [1, 1] });
    // Nothing stale: answered from skill_profiles and skill_changes alone, the executions hidden under another name.
    await twins.pg.query(`ALTER TABLE execution_metrics RENAME TO execution_metrics_hidden`);
    try {
      expect(await service.getSkillProfiles()).toEqual(fresh);
    } finally {
      await twins.pg.query(`ALTER TABLE execution_metrics_hidden RENAME TO execution_metrics`);
    }
    await twins.pg.query(`UPDATE execution_metrics SET skill_id = 'c' WHERE skill_id = 'b'`);
    await twins.pg.query(`DELETE FROM execution_metrics WHERE skill_id = 'a'`);
    expect(await markers()).toEqual({ a: [2, 1], b: [2, 1], c: [1, null] });
    // An update of a running row drops the stored profile (the sync trigger) and so bumps its marker too.
    await twins.pg.query(`UPDATE execution_metrics SET notes = 'x' WHERE status = 'running'`);
    expect(await markers()).toEqual({ a: [2, 1], b: [2, 1], c: [1, null], r: [1, null] });
    expect((await service.getSkillProfiles()).map((p) => [p.skillId, p.totalExecutions])).toEqual([["c", 1]]);
    expect(await markers()).toEqual({ a: [2, 2], b: [2, 2], c: [1, 1], r: [1, 1] });
  });

  it("lists profiles in byte order of skill_id like SQLite, although the en_US collation orders text otherwise", async () => {
    const ids = ["ab", "a-b", "aa", "B", "a_z", "Ab", "é", "z"];
    await twins.insert(ids.map((id, i) => validateMetricRecord(finished(id, at(T0, i), 5), { generateId: true })));
    const bytewise = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const collated: { skill_id: string }[] = await twins.pg.query(`SELECT skill_id FROM execution_metrics ORDER BY skill_id`);
    expect(collated.map((r) => r.skill_id)).not.toEqual(bytewise); // the server's collation is not byte order
    const fromSqlite = (await new ProfileService(twins.sqlite).refresh()).map((p) => p.skillId);
    expect(fromSqlite).toEqual(bytewise);
    expect((await new ProfileService(twins.pg).refresh()).map((p) => p.skillId)).toEqual(bytewise);
    expect((await new ProfileService(twins.pg).getSkillProfiles()).map((p) => p.skillId)).toEqual(bytewise);
  });

  it("trend windows on PostgreSQL equal SQLite's (getting faster, cheaper, success rate down)", async () => {
    const now = new Date("2026-05-20T00:00:00.000Z");
    const records: object[] = [];
    for (let i = 0; i < 30; i++) {
      records.push(finished("t", at(now.toISOString(), -10 * DAY + i * 60_000), 100 + i, { api_calls_cost_usd: 0.02 }));
      records.push(
        finished("t", at(now.toISOString(), -3 * DAY + i * 60_000), 50 + i, {
          api_calls_cost_usd: 0.01,
          status: i % 3 === 0 ? "failure" : "success",
        }),
      );
    }
    const rows = records.map((r) => validateMetricRecord(r, { generateId: true }));
    await twins.insert(rows);
    const pg = await new ProfileService(twins.pg, { clock: () => now }).refresh("t");
    const sqlite = await new ProfileService(twins.sqlite, { clock: () => now }).refresh("t");
    expect(pg[0]).toMatchObject({ gettingFaster: true, gettingCheaper: true, successRateTrend: "down" });
    expectCloseDeep(pg.map(plain), sqlite.map(plain));
  });
});
