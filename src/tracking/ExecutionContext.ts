import { type NumberColumn, numberIssue } from "../model/column-rules";
import type { ExecutionMetricRow, ExecutionStatus } from "../model/execution-metric-columns";
import { LIMITS, truncateText } from "../model/limits";
import { ExecutionStateError, MetricValidationError, type ValidationIssue } from "../errors";
import { applyClassifier } from "./apply-classifier";
import { executionStorage } from "./current-execution";
import { activeSink } from "./default-sink";
import { END_RESULT_KEYS, type EndResult } from "./end-result";
import { messageOf } from "./error-message";
import { redactErrorText } from "./redact-error";
import { safeReport } from "./safe-report";
import { CAPTURE_ARGUMENTS, FINISH, RESTART_CLOCK, RUN_TRACKED } from "./execution-internals";
import type { ExecutionSpan, ExecutionTracer } from "./execution-tracer";
import type { ExecutionSink } from "./ExecutionSink";
import { isoTimestamp } from "./iso-timestamp";
import { latencyAcceptable } from "./latency-budget";
import { newExecutionRow, NO_STRINGS } from "./new-execution-row";
import { type ResourceSample, resourceUsageSince, sampleResources } from "./resource-usage";
import { stableDigest } from "./stable-digest";
import type { TrackingSpec } from "./tracking-options";
import type { ApiCallUsage, TokenUsage } from "./usage";
import { amountSumIssue, countSumIssue, identifierIssue, textIssue } from "./value-rules";

// The types of this module's methods live in files of their own; they stay importable from here.
export type { EndResult } from "./end-result";
export type { ApiCallUsage, TokenUsage } from "./usage";

const MAX_COUNT = LIMITS.maxCount;
/** Where validation issues go: an array (end(): collected, then thrown) or null (reported, never thrown). */
type Issues = ValidationIssue[] | null;

/**
 * One live execution of a skill: what `currentExecution()`, `track()` callbacks and `collector.start()` give.
 *
 * Recording methods never throw into the skill: a bad value (NaN, a quality of 7, a negative size, a value
 * recorded after the end) is ignored and reported once to the error handler as a MetricValidationError (or
 * ExecutionStateError) naming the field and the rule. Text over its cap is cut, not refused. Each recording
 * method returns the context, so calls chain.
 *
 * Timing: the wall clock is read once at the start (started_at); the duration comes from the monotonic
 * clock; completed_at = started_at + duration, so the two always agree.
 *
 * Contexts are created by the SDK (decorator, track(), start()/startExecution()), not with `new`.
 */
export class ExecutionContext implements Disposable, AsyncDisposable {
  private readonly row: ExecutionMetricRow;
  private startEpochMillis: number;
  private startMonotonic: number;
  private resources: ResourceSample | null;
  private ended = false;
  /** fail() was called or an error was recorded; what makes a dispose record a failure. */
  private failed = false;
  private pendingError: unknown = undefined;
  private explicitCategory: string | null = null;
  /** The span mirroring this execution (the collector's `openTelemetry` option), or null. */
  private readonly span: ExecutionSpan | null;

  /** @internal */
  constructor(
    skillId: string,
    private readonly spec: TrackingSpec,
    parent: ExecutionContext | undefined,
    private readonly sink: ExecutionSink | null,
  ) {
    this.startEpochMillis = Date.now();
    this.startMonotonic = performance.now();
    this.resources = spec.captureResources ? sampleResources() : null;
    this.row = newExecutionRow(skillId, spec, parent);
    // Off by default: one property read. Read from the sink current now, as the span starts now.
    const tracer = (sink ?? activeSink()).tracer;
    this.span = tracer === undefined ? null : this.startSpan(tracer);
  }

  /** This execution's id (UUIDv7), the key of its row. */
  get executionId(): string {
    return this.row.execution_id;
  }

  /** The skill being executed. */
  get skillId(): string {
    return this.row.skill_id;
  }

  /** The job this execution belongs to (given, or inherited from the enclosing execution), or null. */
  get jobId(): string | null {
    return this.row.job_id;
  }

  /** The enclosing execution's id, or null for a top-level execution. */
  get parentExecutionId(): string | null {
    return this.row.parent_execution_id;
  }

  /** Whether the execution has ended (its row was handed to the collector). */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Sets output_size_bytes (integer ≥ 0); the last value given is kept. */
  recordOutputSize(bytes: number): this {
    if (this.writable("recordOutputSize") && this.isNumberFor("output_size_bytes", bytes, null)) {
      this.row.output_size_bytes = bytes;
    }
    return this;
  }

  /** Sets input_size_bytes (integer ≥ 0); the last value given is kept. */
  recordInputSize(bytes: number): this {
    if (this.writable("recordInputSize") && this.isNumberFor("input_size_bytes", bytes, null)) {
      this.row.input_size_bytes = bytes;
    }
    return this;
  }

  /**
   * Sets input_size_bytes and input_hash from `input` (a stable serialization, see stable-digest.ts); the
   * input itself is not kept.
   */
  recordInput(input: unknown): this {
    if (this.writable("recordInput")) this.captureInput(input);
    return this;
  }

  /**
   * Adds API calls: `count` (default 1) to api_calls_count and `costUsd` (default 0) to api_calls_cost_usd. A
   * call whose count sum would pass 2^31 − 1, or whose cost sum would not be a finite number, is refused as a
   * whole (nothing of it is applied).
   */
  recordApiCall(usage: ApiCallUsage = {}): this {
    if (!this.writable("recordApiCall")) return this;
    const count = usage?.count ?? 1;
    const cost = usage?.costUsd ?? 0;
    // Checked as a whole before anything changes: a call whose sum would not fit is refused, not half applied.
    if (
      this.isNumberFor("api_calls_count", count, null) &&
      this.isNumberFor("api_calls_cost_usd", cost, null) &&
      this.countSumFits("api_calls_count", this.row.api_calls_count, count, null) &&
      this.amountSumFits("api_calls_cost_usd", this.row.api_calls_cost_usd, cost, null)
    ) {
      this.row.api_calls_count += count;
      this.row.api_calls_cost_usd += cost;
    }
    return this;
  }

  /**
   * Adds an LLM call's tokens to tokens_in/tokens_out; keeps the last model name and temperature given. A call
   * with any bad value, or whose sum would pass 2^31 − 1, is refused as a whole (nothing of it is applied).
   */
  recordTokens(usage: TokenUsage): this {
    if (!this.writable("recordTokens")) return this;
    const { in: tokensIn, out: tokensOut, model, temperature } = usage ?? {};
    const reject = null;
    if (
      (tokensIn === undefined ||
        (this.isNumberFor("tokens_in", tokensIn, reject) && this.countSumFits("tokens_in", this.row.tokens_in ?? 0, tokensIn, reject))) &&
      (tokensOut === undefined ||
        (this.isNumberFor("tokens_out", tokensOut, reject) && this.countSumFits("tokens_out", this.row.tokens_out ?? 0, tokensOut, reject))) &&
      (model === undefined || this.isIdentifier("model_name", model, LIMITS.identifierLength, reject)) &&
      (temperature === undefined || this.isNumberFor("temperature", temperature, reject))
    ) {
      if (tokensIn !== undefined) this.row.tokens_in = (this.row.tokens_in ?? 0) + tokensIn;
      if (tokensOut !== undefined) this.row.tokens_out = (this.row.tokens_out ?? 0) + tokensOut;
      if (model !== undefined) this.row.model_name = model;
      if (temperature !== undefined) this.row.temperature = temperature;
    }
    return this;
  }

  /**
   * Records a warning: warning_count counts them all (up to 2^31 − 1, where it stays), the first 100 are kept
   * (each cut at 4096 characters).
   */
  warn(message: string): this {
    if (this.writable("warn") && this.isText("warnings", message, null)) {
      if (this.row.warnings === NO_STRINGS) this.row.warnings = [];
      if (this.row.warning_count < MAX_COUNT) this.row.warning_count++;
      if (this.row.warnings.length < LIMITS.warningCount) this.row.warnings.push(truncateText(message, LIMITS.textCap));
    }
    return this;
  }

  /** Adds tags (each 1–255 characters, at most 100 per execution); duplicates are kept once. */
  tag(...tags: string[]): this {
    if (!this.writable("tag")) return this;
    for (const tag of tags) {
      if (!this.isIdentifier("tags", tag, LIMITS.tagLength, null)) continue;
      if (this.row.tags.includes(tag)) continue;
      if (this.row.tags.length >= LIMITS.tagCount) {
        this.reject(null, "tags", tag, "arrayMaxSize", `an execution keeps at most ${LIMITS.tagCount} tags`);
        break;
      }
      // The initial array is the options' frozen one, shared by every call: copy before the first change.
      if (this.row.tags === this.spec.tags) this.row.tags = [...this.spec.tags];
      this.row.tags.push(tag);
    }
    return this;
  }

  /**
   * Sets the variant (1–64 characters) this execution runs in, replacing the options' `variant`: for a variant
   * chosen while the execution runs (a random assignment, a feature flag).
   */
  setVariant(variant: string): this {
    if (this.writable("setVariant") && this.isIdentifier("variant", variant, LIMITS.variantLength, null)) {
      this.row.variant = variant;
    }
    return this;
  }

  /** Sets the experiment id (1–255 characters) of this execution, replacing the options' `experimentId`. */
  setExperiment(experimentId: string): this {
    if (this.writable("setExperiment") && this.isIdentifier("experiment_id", experimentId, LIMITS.identifierLength, null)) {
      this.row.experiment_id = experimentId;
    }
    return this;
  }

  /** Sets output_quality, 0–1. */
  setOutputQuality(quality: number): this {
    if (this.writable("setOutputQuality") && this.isNumberFor("output_quality", quality, null)) {
      this.row.output_quality = quality;
    }
    return this;
  }

  /** Sets correctness_score, 0–1. */
  setCorrectness(score: number): this {
    if (this.writable("setCorrectness") && this.isNumberFor("correctness_score", score, null)) {
      this.row.correctness_score = score;
    }
    return this;
  }

  /** Sets validation_passed (default true). It does not change the status. */
  setValidationPassed(passed: boolean): this {
    if (this.writable("setValidationPassed")) {
      if (typeof passed === "boolean") this.row.validation_passed = passed;
      else this.reject(null, "validation_passed", passed, "isBoolean", "must be true or false");
    }
    return this;
  }

  /** Sets input_summary (free text, cut at 4096 characters). */
  setInputSummary(summary: string): this {
    if (this.writable("setInputSummary") && this.isText("input_summary", summary, null)) {
      this.row.input_summary = truncateText(summary, LIMITS.textCap);
    }
    return this;
  }

  /** Sets output_summary (free text, cut at 4096 characters). */
  setOutputSummary(summary: string): this {
    if (this.writable("setOutputSummary") && this.isText("output_summary", summary, null)) {
      this.row.output_summary = truncateText(summary, LIMITS.textCap);
    }
    return this;
  }

  /** Sets input_complexity: any finite number on a scale the skill defines. */
  setInputComplexity(complexity: number): this {
    if (this.writable("setInputComplexity") && this.isNumberFor("input_complexity", complexity, null)) {
      this.row.input_complexity = complexity;
    }
    return this;
  }

  /** Appends a line to notes (cut at 4096 characters in all). */
  note(text: string): this {
    if (this.writable("note") && this.isText("notes", text, null)) {
      this.row.notes = truncateText(this.row.notes === null ? text : `${this.row.notes}\n${text}`, LIMITS.textCap);
    }
    return this;
  }

  /**
   * Marks the execution as failed without throwing: it will be recorded with status "failure" (also when it
   * ends by dispose or by returning normally). Give the error (its message, stack and category are recorded)
   * or a category name (1–64 characters); with no argument the category is the classifier's, else "unknown".
   */
  fail(errorOrCategory?: unknown): this {
    if (!this.writable("fail")) return this;
    if (typeof errorOrCategory === "string") {
      if (!this.isIdentifier("error_category", errorOrCategory, LIMITS.errorCategoryLength, null)) return this;
      this.explicitCategory = errorOrCategory;
    } else if (errorOrCategory !== undefined) {
      this.pendingError = errorOrCategory;
    }
    this.failed = true;
    return this;
  }

  /**
   * Runs `fn` with this execution as the current one, so that `currentExecution()` returns it and tracked
   * calls inside become its children. It does not end the execution.
   */
  run<R>(fn: (context: ExecutionContext) => R): R {
    return this[RUN_TRACKED](fn, undefined, [this]) as R;
  }

  /**
   * Ends the execution and hands its row to the collector. Call it once: a second call throws
   * ExecutionStateError. Values in `result` are validated; a bad one throws MetricValidationError naming every
   * broken field and leaves the execution running, so a corrected end() can follow.
   */
  end(result?: EndResult): void {
    if (this.ended) throw ExecutionStateError.alreadyEnded(this.row.execution_id);
    if (result !== undefined) this.applyResult(result);
    this.finish(false, undefined, result?.status);
  }

  /**
   * Records an execution that will never end normally (the collector calls this at shutdown for executions
   * still open): "running" keeps started_at only; "timeout" records the time until now as a timeout. No-op
   * if the execution has ended.
   */
  abandon(status: "running" | "timeout" = "running"): void {
    if (this.ended) return;
    if (status === "timeout") {
      this.row.error_message = "The execution had not ended when the collector shut down";
      this.finish(false, undefined, "timeout");
      return;
    }
    this.ended = true;
    this.row.started_at = isoTimestamp(this.startEpochMillis);
    const sink = this.activeSinkNow();
    if (this.span !== null) this.endSpan(sink);
    this.submit(sink);
  }

  /** Ends the execution (success unless fail() was called) unless it has already ended. */
  [Symbol.dispose](): void {
    if (!this.ended) this.finish(false, undefined, undefined);
  }

  /** As [Symbol.dispose], for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    return Promise.resolve();
  }

  /** @internal */
  [FINISH](threw: boolean, error: unknown): void {
    if (!this.ended) this.finish(threw, error, undefined);
  }

  /** @internal */
  [RUN_TRACKED](fn: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
    const span = this.span;
    if (span === null) return executionStorage.run(this, Reflect.apply, fn, thisArg, args);
    return span.runActive(() => executionStorage.run(this, Reflect.apply, fn, thisArg, args));
  }

  /** @internal */
  [RESTART_CLOCK](): void {
    this.startEpochMillis = Date.now();
    this.startMonotonic = performance.now();
    if (this.resources !== null) this.resources = sampleResources();
  }

  /** @internal */
  [CAPTURE_ARGUMENTS](args: readonly unknown[]): void {
    this.captureInput(args);
  }

  private captureInput(input: unknown): void {
    try {
      const digest = stableDigest(input);
      this.row.input_size_bytes = digest.sizeBytes;
      this.row.input_hash = digest.sha256;
    } catch (error) {
      // A getter that throws, a revoked proxy…: the input is not measurable, the skill still runs.
      this.report(error);
    }
  }

  /**
   * Validates the end result and writes it into the row (`status` itself is applied by finish()). Throws,
   * changing nothing, if a value is bad: the direct API refuses bad values rather than dropping them silently.
   */
  private applyResult(result: EndResult): void {
    if (result === null || typeof result !== "object") {
      throw new MetricValidationError([{ field: "(result)", value: result, rule: "isObject", message: "end() takes an object or nothing" }], "end result");
    }
    const issues: ValidationIssue[] = [];
    const r = result;
    if (r.status !== undefined && r.status !== "success" && r.status !== "failure" && r.status !== "timeout") {
      this.reject(issues, "status", r.status, "isIn", 'must be "success", "failure" or "timeout"');
    }
    if (r.errorCategory !== undefined) this.isIdentifier("error_category", r.errorCategory, LIMITS.errorCategoryLength, issues);
    if (r.outputSizeBytes !== undefined) this.isNumberFor("output_size_bytes", r.outputSizeBytes, issues);
    if (r.inputSizeBytes !== undefined) this.isNumberFor("input_size_bytes", r.inputSizeBytes, issues);
    if (r.apiCallsCount !== undefined) this.isNumberFor("api_calls_count", r.apiCallsCount, issues);
    if (r.apiCallsCostUsd !== undefined) this.isNumberFor("api_calls_cost_usd", r.apiCallsCostUsd, issues);
    if (r.outputQuality !== undefined) this.isNumberFor("output_quality", r.outputQuality, issues);
    if (r.correctnessScore !== undefined) this.isNumberFor("correctness_score", r.correctnessScore, issues);
    if (r.outputSummary !== undefined) this.isText("output_summary", r.outputSummary, issues);
    if (r.notes !== undefined) this.isText("notes", r.notes, issues);
    if (r.validationPassed !== undefined && typeof r.validationPassed !== "boolean") {
      this.reject(issues, "validation_passed", r.validationPassed, "isBoolean", "must be true or false");
    }
    for (const key of Object.keys(r)) {
      if (!END_RESULT_KEYS.has(key)) this.reject(issues, key, (r as Record<string, unknown>)[key], "unknownField", "is not a field of end()");
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "end result");

    const row = this.row;
    if (r.outputSizeBytes !== undefined) row.output_size_bytes = r.outputSizeBytes;
    if (r.inputSizeBytes !== undefined) row.input_size_bytes = r.inputSizeBytes;
    if (r.apiCallsCount !== undefined) row.api_calls_count = r.apiCallsCount;
    if (r.apiCallsCostUsd !== undefined) row.api_calls_cost_usd = r.apiCallsCostUsd;
    if (r.outputQuality !== undefined) row.output_quality = r.outputQuality;
    if (r.correctnessScore !== undefined) row.correctness_score = r.correctnessScore;
    if (r.outputSummary !== undefined) row.output_summary = truncateText(r.outputSummary, LIMITS.textCap);
    if (r.validationPassed !== undefined) row.validation_passed = r.validationPassed;
    if (r.notes !== undefined) {
      row.notes = truncateText(row.notes === null ? r.notes : `${row.notes}\n${r.notes}`, LIMITS.textCap);
    }
    if (r.error !== undefined) {
      this.pendingError = r.error;
      this.failed = true;
    }
    if (r.errorCategory !== undefined) {
      this.explicitCategory = r.errorCategory;
      this.failed = true;
    }
  }

  /** Completes the row and submits it. Never throws: a failure here is reported, the skill goes on. */
  private finish(threw: boolean, error: unknown, explicitStatus: ExecutionStatus | undefined): void {
    this.ended = true;
    const sink = this.activeSinkNow();
    try {
      const durationMillis = performance.now() - this.startMonotonic;
      const row = this.row;
      row.total_duration_ms = durationMillis;
      row.started_at = isoTimestamp(this.startEpochMillis);
      row.completed_at = isoTimestamp(this.startEpochMillis + durationMillis);
      if (threw) {
        this.pendingError = error;
        this.failed = true;
      }
      if (this.resources !== null) {
        const usage = resourceUsageSince(this.resources, durationMillis);
        row.memory_used_mb = usage.memoryUsedMb;
        row.cpu_usage_percent = usage.cpuUsagePercent;
      }
      if (row.environment === null && sink.environment) row.environment = sink.environment;
      if (row.agent_id === null && sink.agentId) row.agent_id = sink.agentId;
      // Whatever the status: a failure answered within its budget was fast enough (see latency-budget.ts).
      row.latency_acceptable = latencyAcceptable(
        durationMillis,
        this.spec.latencyBudgetMillis ?? sink.latencyBudgetsMillis?.get(row.skill_id),
      );
      const overTime = durationMillis > this.spec.timeoutMillis;
      const status: ExecutionStatus = explicitStatus ?? (overTime ? "timeout" : this.failed ? "failure" : "success");
      if (status === "success") {
        row.status = "success";
      } else {
        this.recordFailure(sink, status, durationMillis, overTime);
      }
    } catch (failure) {
      safeReport(sink, failure);
    }
    if (this.span !== null) this.endSpan(sink);
    this.submit(sink);
  }

  private startSpan(tracer: ExecutionTracer): ExecutionSpan | null {
    try {
      return tracer.startSpan(this);
    } catch (error) {
      // Tracing failed, tracking goes on: the execution is recorded without a span.
      this.report(error);
      return null;
    }
  }

  private endSpan(sink: ExecutionSink): void {
    try {
      this.span!.end(this.row, this.pendingError);
    } catch (error) {
      safeReport(sink, error);
    }
  }

  private recordFailure(sink: ExecutionSink, status: ExecutionStatus, durationMillis: number, overTime: boolean): void {
    const row = this.row;
    row.error_occurred = true;
    const error = this.pendingError;
    if (error !== undefined) {
      // Redacted before the cut: a secret straddling the cap must not survive as a fragment the hook misses.
      row.error_message = truncateText(redactErrorText(sink, messageOf(error), "error_message"), LIMITS.textCap);
      const stack = error instanceof Error ? error.stack : undefined;
      row.error_trace = typeof stack === "string" ? truncateText(redactErrorText(sink, stack, "error_trace"), LIMITS.traceCap) : null;
    }
    let category = this.explicitCategory;
    if (category === null && status === "timeout") category = "timeout";
    if (category === null) category = error === undefined ? "unknown" : this.classify(sink, error, durationMillis);
    // A classifier calling a failure a timeout makes it one; a measured overrun is one whatever was thrown.
    row.status = category === "timeout" && status === "failure" ? "timeout" : status;
    if (overTime && status === "timeout") {
      category = "timeout";
      if (row.error_message === null) {
        row.error_message = `Execution took ${durationMillis.toFixed(1)} ms, over its timeoutMillis of ${this.spec.timeoutMillis} ms`;
      }
    }
    row.error_category = category;
  }

  private classify(sink: ExecutionSink, error: unknown, durationMillis: number): string {
    return applyClassifier(this.spec.classifyError ?? sink.classifyError, sink, error, { skillId: this.row.skill_id, durationMillis });
  }

  private submit(sink: ExecutionSink): void {
    try {
      sink.submit(this.row);
    } catch (failure) {
      safeReport(sink, failure);
    }
  }

  private activeSinkNow(): ExecutionSink {
    return this.sink ?? activeSink();
  }

  private report(error: unknown): void {
    safeReport(this.activeSinkNow(), error);
  }

  private writable(method: string): boolean {
    if (!this.ended) return true;
    this.report(
      new ExecutionStateError(
        `${method}() was called on execution ${this.row.execution_id} (${this.row.skill_id}) after it ended; the value was ignored.`,
      ),
    );
    return false;
  }

  /**
   * A bad value: collected when `issues` is an array (end() throws them together), otherwise reported to
   * the error handler and ignored, because a value recorded while the skill runs must never throw into it.
   */
  private reject(issues: Issues, field: string, value: unknown, rule: string, message: string): false {
    if (issues !== null) {
      issues.push({ field, value, rule, message });
    } else {
      this.report(new MetricValidationError([{ field, value, rule, message }], `value recorded for skill "${this.row.skill_id}"`));
    }
    return false;
  }

  /** True when `issue` is null (the value is good); otherwise rejects the value as {@link reject} does. */
  private accept(issue: ValidationIssue | null, issues: Issues): boolean {
    if (issue === null) return true;
    return this.reject(issues, issue.field, issue.value, issue.rule, issue.message);
  }

  /** Whether `value` obeys number column `column`'s rules (the column table's kind and range). */
  private isNumberFor(column: NumberColumn, value: unknown, issues: Issues): value is number {
    return this.accept(numberIssue(column, value), issues);
  }

  /** Whether `current + added` (both valid counts) stays within the column's cap. */
  private countSumFits(field: string, current: number, added: number, issues: Issues): boolean {
    return this.accept(countSumIssue(field, current, added), issues);
  }

  /** Whether `current + added` (both valid amounts) is still a finite number. */
  private amountSumFits(field: string, current: number, added: number, issues: Issues): boolean {
    return this.accept(amountSumIssue(field, current, added), issues);
  }

  private isText(field: string, value: unknown, issues: Issues): value is string {
    return this.accept(textIssue(field, value), issues);
  }

  private isIdentifier(field: string, value: unknown, maxLength: number, issues: Issues): value is string {
    return this.accept(identifierIssue(field, value, maxLength), issues);
  }
}
