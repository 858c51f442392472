import type { DataSource } from "typeorm";
import { NotFoundError, type ValidationIssue } from "../errors";
import { ANNOTATION_LIMITS } from "../model/annotation-values";
import { CorrectiveAction } from "../storage/entities/CorrectiveAction.entity";
import { ExecutionAnomaly } from "../storage/entities/ExecutionAnomaly.entity";
import { serializeWrite } from "../storage/write-queue";
import { uuidv7 } from "../tracking/uuid-v7";
import { findExecution, noteText, optionalText, requireObject, requireText, throwIssues } from "./annotation-arguments";

/** What was done, about exactly one of an execution or an anomaly (see {@link CorrectiveActionService}). */
export interface CorrectiveActionInput {
  /** The execution acted on. Give this or `anomalyId`, not both. */
  executionId?: string;
  /** The anomaly acted on. Give this or `executionId`, not both. */
  anomalyId?: string;
  /** What was done: 1–4,096 characters. */
  action: string;
  /** Who or what did it: 1–255 characters. Default: none (null). */
  by?: string | null;
  /** Free text, cut at 4,096 characters like every note. */
  notes?: string | null;
}

/** A query of {@link CorrectiveActionService.getCorrectiveActions}: exactly one of the two ids. */
export interface CorrectiveActionQuery {
  executionId?: string;
  anomalyId?: string;
}

/**
 * Corrective actions (Phase 2b): what was done about an execution or about an anomaly. Each action is its
 * own row; they are listed per execution or per anomaly in the order they were recorded.
 */
export class CorrectiveActionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Records a corrective action; returns its id (UUIDv7).
   * @throws MetricValidationError (field "executionId/anomalyId", rule "exactlyOne") unless exactly one of the
   *   two is given, or naming a bad action, by or notes; NotFoundError for an unknown execution or anomaly.
   */
  async recordCorrectiveAction(input: CorrectiveActionInput): Promise<string> {
    const issues: ValidationIssue[] = [];
    if (!requireObject(input, "(corrective action)", issues)) throwIssues(issues, "corrective action");
    const target = targetOf(input, issues);
    const action = requireText(input.action, "action", ANNOTATION_LIMITS.textLength, issues);
    const performedBy = optionalText(input.by, "by", ANNOTATION_LIMITS.identifierLength, issues);
    const notes = noteText(input.notes, "notes", issues);
    throwIssues(issues, "corrective action");
    if (target!.executionId !== null) await findExecution(this.dataSource, target!.executionId);
    else if (!(await this.dataSource.getRepository(ExecutionAnomaly).existsBy({ anomalyId: target!.anomalyId! }))) {
      throw NotFoundError.anomaly(target!.anomalyId!);
    }
    const row: CorrectiveAction = {
      actionId: uuidv7(),
      executionId: target!.executionId,
      anomalyId: target!.anomalyId,
      action: action!,
      performedBy,
      notes,
      createdAt: this.clock(),
    };
    // `as never`: TypeORM's deep-partial type rejects the (unset) anomaly relation's JSON details.
    await serializeWrite(this.dataSource, () => this.dataSource.getRepository(CorrectiveAction).insert(row as never));
    return row.actionId;
  }

  /**
   * The corrective actions recorded about one execution or one anomaly (exactly one of the two ids), oldest
   * first: one range of IDX_corrective_actions_execution or _anomaly.
   * @throws MetricValidationError unless exactly one id is given.
   */
  async getCorrectiveActions(query: CorrectiveActionQuery): Promise<CorrectiveAction[]> {
    const issues: ValidationIssue[] = [];
    if (!requireObject(query, "(query)", issues)) throwIssues(issues, "corrective actions query");
    const target = targetOf(query, issues);
    throwIssues(issues, "corrective actions query");
    const where = target!.executionId !== null ? { executionId: target!.executionId } : { anomalyId: target!.anomalyId! };
    return this.dataSource.getRepository(CorrectiveAction).find({ where, order: { createdAt: "ASC", actionId: "ASC" } });
  }
}

/** The one id given of executionId and anomalyId, or undefined with an issue recorded. */
function targetOf(
  input: CorrectiveActionQuery,
  issues: ValidationIssue[],
): { executionId: string | null; anomalyId: string | null } | undefined {
  const given = (["executionId", "anomalyId"] as const).filter((key) => input[key] !== undefined && input[key] !== null);
  if (given.length !== 1) {
    issues.push({
      field: "executionId/anomalyId",
      value: given.length === 0 ? undefined : { executionId: input.executionId, anomalyId: input.anomalyId },
      rule: "exactlyOne",
      message: `exactly one of executionId and anomalyId must be given (${given.length === 0 ? "neither was" : "both were"})`,
    });
    return undefined;
  }
  const key = given[0];
  const value = input[key];
  if (typeof value !== "string" || value.length === 0) {
    issues.push({ field: key, value, rule: "isString", message: "must be a non-empty string" });
    return undefined;
  }
  return key === "executionId" ? { executionId: value, anomalyId: null } : { executionId: null, anomalyId: value };
}
