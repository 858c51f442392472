import { ConfigurationError } from "../errors";
import { executionStorage } from "./current-execution";
import { activeSink } from "./default-sink";
import { safeReport } from "./safe-report";
import { CAPTURE_ARGUMENTS } from "./execution-internals";
import { ExecutionContext } from "./ExecutionContext";
import { callTracked } from "./settle-result";
import { carryMetadata } from "./carry-metadata";
import { checkSkillId, resolveTrackOptions, type TrackingSpec, type TrackOptions } from "./tracking-options";
import { toDefaultSkillId } from "./default-skill-id";

/**
 * The type of what `TrackExecution(...)` returns: one decorator with both call shapes, so that it compiles
 * without casts in a project using standard (TC39 stage-3) decorators and in one using
 * `experimentalDecorators`. TypeScript checks a decorator under the mode of the file that uses it and picks
 * the matching signature.
 */
export interface TrackExecutionDecorator {
  /** Standard (stage-3) decorators: `(method, context)`, returns the replacement method. */
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  /** experimentalDecorators: `(target, key, descriptor)`, returns the descriptor. */
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
}

/** The skill id of one decorated method: fixed, or resolved once from the class when first known. */
interface MethodBinding {
  skillId: string | null;
  readonly methodName: string;
  readonly key: string | symbol;
  readonly isStatic: boolean;
  readonly isPrivate: boolean;
  tracked: ((...args: unknown[]) => unknown) | null;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Records every call of the decorated method as one execution, to the default collector.
 *
 * - `@TrackExecution()`: skill id `ClassName.methodName` (the class that declares the method).
 * - `@TrackExecution("csv_reader")`: that skill id.
 * - `@TrackExecution({ skillId, environment, tags, timeoutMillis, captureInput, captureResources, jobId,
 *   agentId, classifyError, variant, experimentId, latencyBudgetMillis })`: see {@link TrackOptions}; options are checked here, once, when the class is
 *   defined, and a bad one throws ConfigurationError naming it.
 *
 * Works on instance, static and (with standard decorators) #private methods; sync methods stay sync, async
 * ones async; the value returned and the error thrown are the method's own; `this`, `name` and `length` are
 * kept, and so is every reflect-metadata entry of the method (NestJS's `@SetMetadata`, guards, interceptors and
 * route decorators, applied below or above it). Applied to anything but a method it throws ConfigurationError
 * when the class is defined.
 */
export function TrackExecution(skillIdOrOptions?: string | TrackOptions): TrackExecutionDecorator {
  let explicitSkillId: string | null = null;
  let spec: TrackingSpec;
  if (typeof skillIdOrOptions === "string") {
    explicitSkillId = checkSkillId(skillIdOrOptions, "skillId");
    spec = resolveTrackOptions(undefined);
  } else {
    spec = resolveTrackOptions(skillIdOrOptions);
    if (skillIdOrOptions?.skillId !== undefined) explicitSkillId = skillIdOrOptions.skillId;
  }
  function trackExecutionDecorator(target: unknown, contextOrKey?: unknown, descriptor?: unknown): unknown {
    if (isStage3Context(contextOrKey)) return decorateStage3(target, contextOrKey, spec, explicitSkillId);
    return decorateLegacy(target, contextOrKey, descriptor, spec, explicitSkillId);
  }
  return trackExecutionDecorator as TrackExecutionDecorator;
}

function isStage3Context(value: unknown): value is DecoratorContext {
  return typeof value === "object" && value !== null && typeof (value as { kind?: unknown }).kind === "string";
}

function decorateStage3(value: unknown, context: DecoratorContext, spec: TrackingSpec, skillId: string | null): AnyFunction {
  const name = "name" in context ? context.name : undefined;
  if (context.kind !== "method" || typeof value !== "function") {
    throw misuse(context.kind === "class" ? "a class" : `the ${context.kind} ${describeKey(name)}`);
  }
  const methodContext = context as ClassMethodDecoratorContext;
  const binding: MethodBinding = {
    skillId,
    methodName: describeKey(methodContext.name),
    key: methodContext.name,
    isStatic: methodContext.static,
    isPrivate: methodContext.private,
    tracked: null,
  };
  if (skillId === null) {
    // Runs once per class for static methods (this = the class) and at each construction for instance
    // methods (this = the instance): resolved the first time, an early return after that.
    methodContext.addInitializer(function (this: unknown) {
      if (binding.skillId === null) binding.skillId = defaultSkillId(binding, this);
    });
  }
  return createTrackedMethod(value as AnyFunction, spec, binding);
}

function decorateLegacy(target: unknown, key: unknown, descriptor: unknown, spec: TrackingSpec, skillId: string | null): unknown {
  if (typeof target === "function" && key === undefined) throw misuse(`the class ${describeKey(target.name)}`);
  if (descriptor === undefined || descriptor === null || typeof descriptor !== "object") {
    throw misuse(`the property ${describeKey(key)} (a field, or a parameter)`);
  }
  const methodDescriptor = descriptor as PropertyDescriptor;
  if (methodDescriptor.get !== undefined || methodDescriptor.set !== undefined) {
    throw misuse(`the accessor ${describeKey(key)}`);
  }
  if (typeof methodDescriptor.value !== "function") throw misuse(`the property ${describeKey(key)}`);
  const isStatic = typeof target === "function";
  const owner = isStatic ? (target as { name?: string }) : ((target as { constructor?: { name?: string } }).constructor ?? {});
  const binding: MethodBinding = {
    skillId: skillId ?? toDefaultSkillId(classNameOf(owner), describeKey(key)),
    methodName: describeKey(key),
    key: key as string | symbol,
    isStatic,
    isPrivate: false,
    tracked: null,
  };
  methodDescriptor.value = createTrackedMethod(methodDescriptor.value as AnyFunction, spec, binding);
  return methodDescriptor;
}

/** The replacement method. Its hot path: one context, one AsyncLocalStorage.run, one settle. */
function createTrackedMethod(fn: AnyFunction, spec: TrackingSpec, binding: MethodBinding): AnyFunction {
  const tracked = function (this: unknown, ...args: unknown[]): unknown {
    let context: ExecutionContext;
    try {
      context = new ExecutionContext(binding.skillId ?? defaultSkillId(binding, this), spec, executionStorage.getStore(), null);
      if (spec.captureInput) context[CAPTURE_ARGUMENTS](args);
    } catch (error) {
      // Tracking could not even start: run the skill untracked rather than fail it.
      safeReport(activeSink(), error);
      return Reflect.apply(fn, this, args);
    }
    return callTracked(context, fn, this, args);
  };
  Object.defineProperty(tracked, "name", { value: fn.name, configurable: true });
  Object.defineProperty(tracked, "length", { value: fn.length, configurable: true });
  // Metadata decorators applied before this one (below it) stored their reflect-metadata on `fn`.
  carryMetadata(fn, tracked);
  binding.tracked = tracked;
  return tracked;
}

/**
 * `ClassName.methodName` of the class that declares the method. Static: `self` is that class (or a subclass
 * the method was called through: the class chain is searched for the one owning it). Instance: the
 * prototype chain of `self` is searched for the prototype owning the method. #private methods have no
 * owner to find, so the instance's or class's own name is used.
 */
function defaultSkillId(binding: MethodBinding, self: unknown): string {
  if (self === null || self === undefined || (typeof self !== "object" && typeof self !== "function")) {
    // Called without a receiver: not cached, a later call may know the class.
    return toDefaultSkillId("", binding.methodName).slice(1);
  }
  let className: string | undefined;
  if (!binding.isPrivate) {
    for (let holder: object | null = binding.isStatic ? (self as object) : Object.getPrototypeOf(self); holder !== null; holder = Object.getPrototypeOf(holder)) {
      if (Object.getOwnPropertyDescriptor(holder, binding.key)?.value === binding.tracked) {
        className = classNameOf(binding.isStatic ? holder : (holder as { constructor?: unknown }).constructor);
        break;
      }
    }
  }
  className ??= classNameOf(binding.isStatic ? self : (self as { constructor?: unknown }).constructor);
  binding.skillId = toDefaultSkillId(className, binding.methodName);
  return binding.skillId;
}

function classNameOf(ctor: unknown): string {
  const name = (ctor as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" && name !== "" ? name : "AnonymousClass";
}

function describeKey(key: unknown): string {
  if (typeof key === "symbol") return key.description ?? "symbol";
  return String(key);
}

function misuse(what: string): ConfigurationError {
  return new ConfigurationError(
    `@TrackExecution() decorates methods only, but it was applied to ${what}. ` +
      "Move it onto a method, or wrap other code with track(skillId, fn).",
  );
}
