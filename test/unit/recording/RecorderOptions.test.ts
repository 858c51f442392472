import { ConfigurationError } from "../../../src/errors";
import { DEFAULT_RECORDER_OPTIONS, resolveRecorderOptions } from "../../../src/recording/RecorderOptions";

describe("resolveRecorderOptions", () => {
  it("applies the documented defaults", () => {
    expect(resolveRecorderOptions()).toEqual({ ...DEFAULT_RECORDER_OPTIONS, onError: undefined });
    expect(DEFAULT_RECORDER_OPTIONS).toMatchObject({ maxQueueSize: 50_000, batchSize: 500, flushIntervalMillis: 1000 });
  });

  it.each([
    [{ batchSize: 0 }, "batchSize"],
    [{ maxQueueSize: 1.5 }, "maxQueueSize"],
    [{ flushIntervalMillis: -1 }, "flushIntervalMillis"],
    [{ flushIntervalMillis: 2 ** 31 }, "flushIntervalMillis"],
    [{ spillPath: "" }, "spillPath"],
    [{ durability: "fsync" }, "durability"],
    [{ durability: "sync-spill" }, "durability"],
    [{ handleSignals: "yes" }, "handleSignals"],
    [{ onError: "warn" }, "onError"],
  ])("refuses %j naming the option", (options, option) => {
    expect(() => resolveRecorderOptions(options as never)).toThrow(ConfigurationError);
    expect(() => resolveRecorderOptions(options as never)).toThrow(`"${option}"`);
  });
});
