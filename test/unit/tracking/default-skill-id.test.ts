import { LIMITS } from "../../../src/model/limits";
import { toDefaultSkillId } from "../../../src/tracking/default-skill-id";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { type CapturingSink, useCapturingSink } from "./capturing-sink";

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

const NUL_NAMED = Symbol("load\u0000secret");
const EMOJI = "\u{1F600}";

class Hostile {
  @TrackExecution()
  ["tab\tand\u001b[31mescape"](): number {
    return 1;
  }

  @TrackExecution()
  [NUL_NAMED](): number {
    return 2;
  }
}

describe("default skill ids (issue 16)", () => {
  it("never carry control characters: a method named with a NUL, a TAB or an ESC gets U+FFFD instead, and its row is valid", async () => {
    const skills = new Hostile();
    skills["tab\tand\u001b[31mescape"]();
    skills[NUL_NAMED]();
    await Promise.resolve();
    expect(sink.rows.map((r) => r.skill_id).sort()).toEqual(["Hostile.load\uFFFDsecret", "Hostile.tab\uFFFDand\uFFFD[31mescape"]);
    expect(sink.invalid).toEqual([]);
  });

  it("are cut to LIMITS.identifierLength UTF-16 code units without splitting a surrogate pair", () => {
    const className = "C".repeat(253);
    const id = toDefaultSkillId(className, EMOJI + "x");
    // 253 + "." = 254 units; the emoji's 2 units would make 256, so it is left out whole.
    expect(id).toBe(className + ".");
    expect(id.length).toBeLessThanOrEqual(LIMITS.identifierLength);
    expect(toDefaultSkillId("C".repeat(252), EMOJI)).toHaveLength(255);
    expect(toDefaultSkillId("A", "\uD800b")).toBe("A.\uFFFDb");
  });
});
