import { FINISH, RESTART_CLOCK, RUN_TRACKED } from "./execution-internals";
import type { ExecutionContext } from "./ExecutionContext";

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Calls `fn` with `thisArg` and `args` inside `context` and ends the context when the call is over: at once
 * for a plain value or a throw, when a promise settles, when a lazy thenable that the caller awaits settles,
 * when a generator completes. The value or error the caller sees is the one `fn` produced, never a copy.
 * @internal
 */
export function callTracked(context: ExecutionContext, fn: AnyFunction, thisArg: unknown, args: unknown[]): unknown {
  let result: unknown;
  try {
    result = context[RUN_TRACKED](fn, thisArg, args);
  } catch (error) {
    context[FINISH](true, error);
    throw error;
  }
  return settleResult(context, result);
}

/**
 * Ends `context` now or when `result` is over, and returns what the caller should get.
 *
 * - A native promise (already running): the caller gets a promise derived with then(), settling with the
 *   same value or reason after the row is recorded. Not the same promise object: attaching our handlers to
 *   the skill's own promise would mark its rejection as handled and silence an unhandled rejection that the
 *   caller would otherwise have seen.
 * - Any other thenable may be lazy (a query builder runs only when then() is called), so it is never
 *   called here. The same object is returned with a one-shot own `then` that, when the CALLER calls it,
 *   attaches the timing and restores the original `then`. A frozen thenable cannot take it: the caller gets
 *   an object whose prototype is the thenable, with its own then. One never awaited is never recorded.
 * - A generator or async generator (recognised by Symbol.toStringTag, not by constructor names, which
 *   transpilers change): the same object is returned with own next/return/throw that time it from the first
 *   pull to completion, a return() or a throw out of it. One never pulled is never recorded.
 * @internal
 */
export function settleResult(context: ExecutionContext, result: unknown): unknown {
  if (result !== null && (typeof result === "object" || typeof result === "function")) {
    if (result instanceof Promise) return trackPromise(context, result);
    let then: unknown;
    try {
      then = (result as { then?: unknown }).then;
    } catch {
      then = undefined;
    }
    if (typeof then === "function") return trackLazyThenable(context, result as object, then as AnyFunction);
    const tag = (result as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    if (tag === "Generator" || tag === "AsyncGenerator") {
      return trackGenerator(context, result as Generator | AsyncGenerator, tag === "AsyncGenerator");
    }
  }
  context[FINISH](false, undefined);
  return result;
}

function trackPromise(context: ExecutionContext, promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      context[FINISH](false, undefined);
      return value;
    },
    (error: unknown) => {
      context[FINISH](true, error);
      throw error;
    },
  );
}

function trackLazyThenable(context: ExecutionContext, thenable: object, originalThen: AnyFunction): object {
  const ownThen = Object.getOwnPropertyDescriptor(thenable, "then");
  function hookedThen(onFulfilled?: unknown, onRejected?: unknown): unknown {
    restore();
    // The original then runs on the thenable itself, whatever object it was called through.
    return Reflect.apply(originalThen, thenable, [
      (value: unknown) => {
        context[FINISH](false, undefined);
        return typeof onFulfilled === "function" ? onFulfilled(value) : value;
      },
      (error: unknown) => {
        context[FINISH](true, error);
        if (typeof onRejected === "function") return onRejected(error);
        throw error;
      },
    ]);
  }
  function restore(): void {
    try {
      if (ownThen === undefined) delete (thenable as { then?: unknown }).then;
      else Object.defineProperty(thenable, "then", ownThen);
    } catch {
      // Cannot happen for the extensible objects hooked in place; nothing to restore otherwise.
    }
  }
  if (Object.isExtensible(thenable) && (ownThen === undefined || ownThen.configurable)) {
    Object.defineProperty(thenable, "then", { value: hookedThen, configurable: true, writable: true, enumerable: false });
    return thenable;
  }
  // Frozen or sealed: the object cannot carry the hook (and a Proxy may not change a frozen property), so
  // the caller gets an object inheriting everything from it, with its own then.
  return Object.create(thenable, {
    then: { value: hookedThen, configurable: true, writable: true, enumerable: false },
  }) as object;
}

function trackGenerator(context: ExecutionContext, generator: Generator | AsyncGenerator, isAsync: boolean): object {
  const methods = {
    next: generator.next as AnyFunction,
    return: generator.return as AnyFunction,
    throw: generator.throw as AnyFunction,
  };
  let started = false;
  const step = (method: AnyFunction, argument: unknown): unknown => {
    if (context.isEnded) return Reflect.apply(method, generator, [argument]);
    if (!started) {
      started = true;
      context[RESTART_CLOCK]();
    }
    let result: unknown;
    try {
      result = context[RUN_TRACKED](method, generator, [argument]);
    } catch (error) {
      context[FINISH](true, error);
      throw error;
    }
    if (!isAsync) {
      if ((result as IteratorResult<unknown>).done) context[FINISH](false, undefined);
      return result;
    }
    return (result as Promise<IteratorResult<unknown>>).then(
      (step) => {
        if (step.done) context[FINISH](false, undefined);
        return step;
      },
      (error: unknown) => {
        context[FINISH](true, error);
        throw error;
      },
    );
  };
  for (const name of ["next", "return", "throw"] as const) {
    const method = methods[name];
    Object.defineProperty(generator, name, {
      value: { [name](argument?: unknown) { return step(method, argument); } }[name],
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
  return generator;
}
