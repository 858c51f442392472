/**
 * Throw this from a skill when its OUTPUT failed a quality or schema check, so that the execution is recorded
 * with `error_category = "output_validation"` (see classify-error.ts). It is an ordinary Error for the caller.
 *
 * @example
 * if (!rows.length) throw new OutputValidationError("the CSV produced no rows");
 */
export class OutputValidationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
