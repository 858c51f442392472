import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError, SkillMetricsError } from "../../../src/errors";
import { LIMITS } from "../../../src/model/limits";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { stableDigest } from "../../../src/tracking/stable-digest";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { track } from "../../../src/tracking/track";

/**
 * No secrets stored by default: a skill's arguments never reach a column (with captureInput on, only their
 * size and sha256), and the redactError hook removes secrets from error_message and error_trace. The
 * database files themselves are scanned too, not just the rows read back through SQL.
 */

/** A fresh secret per test, so a hit can only come from this test's own calls. */
const newSecret = () => `sk-live-${randomBytes(16).toString("hex")}`;

class PaymentSkills {
  @TrackExecution("charge_card")
  async charge(apiKey: string, card: { number: string; cvc: string }): Promise<string> {
    await Promise.resolve();
    return `charged ${card.number.slice(-4)} with key of length ${apiKey.length}`;
  }

  @TrackExecution({ skillId: "charge_card_hashed", captureInput: true })
  async chargeHashed(apiKey: string, card: { number: string; cvc: string }): Promise<number> {
    await Promise.resolve();
    return apiKey.length + card.cvc.length;
  }

  @TrackExecution("call_api")
  async callApi(token: string): Promise<never> {
    await Promise.resolve();
    // What HTTP clients do: the failing request, headers and all, ends up in the error message.
    throw new Error(`GET https://api.example.com/v1/items failed (401): headers {"Authorization":"Bearer ${token}"}`);
  }
}

describe("secrets: nothing of a skill's input is stored by default; error texts can be redacted", () => {
  let dir: string;
  let problems: unknown[];
  let metrics: ExecutionMetricsCollector | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-secrets-"));
    problems = [];
  });
  afterEach(async () => {
    await metrics?.shutdown();
    metrics = undefined;
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (options: Parameters<typeof ExecutionMetricsCollector.create>[0] = {}) => {
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "metrics.db"), onError: (e) => problems.push(e), ...options });
    return metrics;
  };

  async function rowsOf(skillId: string): Promise<Record<string, unknown>[]> {
    await metrics!.flush();
    return metrics!.dataSource.query("SELECT * FROM execution_metrics WHERE skill_id = ?", [skillId]);
  }

  /** Every byte of every file the database left in its directory (db, WAL, spill), after shutdown. */
  async function allDatabaseBytes(): Promise<string> {
    await metrics!.shutdown();
    metrics = undefined;
    return readdirSync(dir)
      .map((name) => readFileSync(join(dir, name)).toString("latin1"))
      .join("\n");
  }

  it("with captureInput off, no column holds any part of a secret argument, nor does any database file", async () => {
    await open();
    const secret = newSecret();
    const card = { number: "4111111111111111", cvc: "737" };
    const skills = new PaymentSkills();
    for (let i = 0; i < 3; i++) await skills.charge(secret, card);
    const rows = await rowsOf("charge_card");
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.status).toBe("success");
      expect(row.input_size_bytes).toBeNull();
      expect(row.input_hash).toBeNull();
      expect(row.input_summary).toBeNull();
      for (const [column, value] of Object.entries(row)) {
        const text = String(value);
        // Fragments of 8+ characters: a 4-digit one ("4111") turned up by chance in a duration's digits.
        for (const fragment of [secret, secret.slice(8, 24), card.number, card.number.slice(0, 8)]) {
          if (text.includes(fragment)) throw new Error(`column ${column} holds "${fragment}": ${text}`);
        }
      }
    }
    const bytes = await allDatabaseBytes();
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes(card.number)).toBe(false);
    expect(problems).toEqual([]);
  });

  it("with captureInput on, only the size and sha256 of the arguments are stored", async () => {
    await open();
    const secret = newSecret();
    const card = { number: "4111111111111111", cvc: "737" };
    await new PaymentSkills().chargeHashed(secret, card);
    const [row] = await rowsOf("charge_card_hashed");
    const digest = stableDigest([secret, card]);
    expect(row.input_size_bytes).toBe(digest.sizeBytes);
    expect(row.input_hash).toBe(digest.sha256);
    expect(row.input_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.input_summary).toBeNull();
    for (const [column, value] of Object.entries(row)) {
      expect([column, String(value).includes(secret) || String(value).includes(card.number)]).toEqual([column, false]);
    }
    const bytes = await allDatabaseBytes();
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes(card.number)).toBe(false);
  });

  it("without a hook an error message is stored as thrown (the documented default)", async () => {
    await open();
    const token = newSecret();
    await expect(new PaymentSkills().callApi(token)).rejects.toThrow(token);
    const [row] = await rowsOf("call_api");
    expect(row.error_message).toContain(token);
  });

  it("the redactError hook removes a token from error_message and error_trace; the caller still gets the original error", async () => {
    const seen: string[] = [];
    await open({
      redactError: (text, field) => {
        seen.push(field);
        return text.replace(/Bearer [A-Za-z0-9_-]+/g, "Bearer [redacted]");
      },
    });
    const token = newSecret();
    const thrown = await new PaymentSkills().callApi(token).catch((error: Error) => error);
    expect((thrown as Error).message).toContain(token); // the skill's own error is untouched
    const [row] = await rowsOf("call_api");
    expect(row.status).toBe("failure");
    expect(row.error_message).toBe(`GET https://api.example.com/v1/items failed (401): headers {"Authorization":"Bearer [redacted]"}`);
    expect(row.error_trace).toMatch(/^Error: GET https:\/\/api\.example\.com.*Bearer \[redacted\]/);
    expect(row.error_trace).toContain("callApi"); // still a useful stack
    expect(seen).toEqual(["error_message", "error_trace"]);
    // The direct API and fail() go through the same hook.
    metrics!.start("direct_call").end({ error: new Error(`denied: Bearer ${token}`) });
    metrics!.start("failed_call").fail(new Error(`denied: Bearer ${token}`)).end();
    for (const skill of ["direct_call", "failed_call"]) {
      const [direct] = await rowsOf(skill);
      expect([skill, direct.status, direct.error_message]).toEqual([skill, "failure", "denied: Bearer [redacted]"]);
    }
    const bytes = await allDatabaseBytes();
    expect(bytes.includes(token)).toBe(false);
    expect(problems).toEqual([]);
  });

  it("redacts before the cap, so a secret straddling the cut leaves no fragment behind", async () => {
    await open({ redactError: (text) => text.replace(/sk-live-[0-9a-f]{32}/g, "[key]") /* whole keys only, as real patterns are */ });
    const token = newSecret();
    // The token starts 10 characters before the cut: truncating first would keep "sk-live-…" for a hook to miss.
    const cutAt = LIMITS.textCap - "…[truncated]".length;
    const message = "x".repeat(cutAt - 10) + token + "y".repeat(5000);
    await expect(track("long_failure", () => Promise.reject(new Error(message)))).rejects.toThrow();
    const [row] = await rowsOf("long_failure");
    const stored = String(row.error_message);
    expect(stored.length).toBe(LIMITS.textCap);
    expect(stored.endsWith("…[truncated]")).toBe(true);
    expect(stored).toContain("[key]");
    expect(stored.includes(token.slice(0, 8))).toBe(false);
    expect(String(row.error_trace).length).toBeLessThanOrEqual(LIMITS.traceCap);
    expect(String(row.error_trace).includes(token.slice(0, 8))).toBe(false);
  });

  it.each([
    ["throws", () => {
      throw new Error("hook bug");
    }],
    ["returns a non-string", () => 42 as unknown as string],
  ])("a hook that %s stores \"[redaction failed]\", never the original text, and reports it", async (_case, hook) => {
    await open({ redactError: hook });
    const token = newSecret();
    const thrown = await new PaymentSkills().callApi(token).catch((error: Error) => error);
    expect((thrown as Error).message).toContain(token); // the skill's outcome is its own
    const [row] = await rowsOf("call_api");
    expect(row.status).toBe("failure");
    expect(row.error_category).not.toBeNull();
    expect(row.error_message).toBe("[redaction failed]");
    expect(row.error_trace).toBe("[redaction failed]");
    const reports = problems.filter((p) => p instanceof SkillMetricsError && /redactError/.test(p.message));
    expect(reports.map((p) => (p as Error).message)).toEqual([
      'The redactError hook failed on error_message; "[redaction failed]" was stored instead',
      'The redactError hook failed on error_trace; "[redaction failed]" was stored instead',
    ]);
    for (const report of reports) expect((report as Error).message.includes(token)).toBe(false);
    expect((await allDatabaseBytes()).includes(token)).toBe(false);
  });

  it("refuses a redactError that is not a function, naming the option", async () => {
    await expect(open({ redactError: "yes" as never })).rejects.toThrow(ConfigurationError);
    await expect(open({ redactError: "yes" as never })).rejects.toThrow(/redactError/);
  });
});
