/**
 * Before any collector exists, tracked calls must not fail: their rows wait in a bounded buffer for the
 * first default sink. Its own file: the buffer is module state and must start empty.
 */
import { SkillMetricsError } from "../../../src/errors";
import { getDefaultSink, PRE_START_BUFFER_LIMIT, setDefaultSink } from "../../../src/tracking/default-sink";
import { track } from "../../../src/tracking/track";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { CapturingSink } from "./capturing-sink";

class Early {
  @TrackExecution()
  run(n: number): number {
    return n + 1;
  }
}

it("holds rows recorded before any sink, hands them to the first sink, and reports the overflow once", () => {
  expect(getDefaultSink()).toBeNull();
  const early = new Early();
  let sum = 0;
  for (let i = 0; i < PRE_START_BUFFER_LIMIT + 25; i++) sum += early.run(0);
  expect(sum).toBe(PRE_START_BUFFER_LIMIT + 25); // every call worked
  expect(track("before_sink", () => "ok")).toBe("ok");

  const sink = new CapturingSink();
  sink.environment = "test";
  setDefaultSink(sink);
  expect(getDefaultSink()).toBe(sink);
  expect(sink.rows).toHaveLength(PRE_START_BUFFER_LIMIT);
  expect(sink.rows.every((r) => r.skill_id === "Early.run" && r.environment === "test")).toBe(true);
  expect(sink.invalid).toEqual([]);
  expect(sink.errors).toHaveLength(1);
  expect(sink.errors[0]).toBeInstanceOf(SkillMetricsError);
  expect((sink.errors[0] as Error).message).toMatch(/^26 execution\(s\) and 0 tracking error\(s\) .* were dropped/);

  // Handed over once: a second sink gets only what comes after it.
  const second = new CapturingSink();
  setDefaultSink(second);
  early.run(1);
  expect(second.rows).toHaveLength(1);
  expect(second.errors).toEqual([]);
  expect(sink.rows).toHaveLength(PRE_START_BUFFER_LIMIT);
});

it("buffers again after the sink is unset, for the next collector", () => {
  setDefaultSink(null);
  new Early().run(1);
  const next = new CapturingSink();
  setDefaultSink(next);
  expect(next.rows.map((r) => r.skill_id)).toEqual(["Early.run"]);
  setDefaultSink(null);
});
