import { AsyncLocalStorage } from "node:async_hooks";
import type { ExecutionContext } from "./ExecutionContext";

/** The one AsyncLocalStorage of tracking: the execution current on this call path. @internal */
export const executionStorage = new AsyncLocalStorage<ExecutionContext>();

/**
 * The live execution of the tracked call this code runs in (through awaits, timers and callbacks started
 * inside it), or undefined outside any tracked call. Use it to record values from deep inside a skill:
 * `currentExecution()?.recordOutputSize(bytes)`.
 */
export function currentExecution(): ExecutionContext | undefined {
  return executionStorage.getStore();
}
