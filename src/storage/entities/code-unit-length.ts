import { buildMessage, ValidateBy, type ValidationOptions } from "class-validator";

/*
 * Length rules that count UTF-16 code units (JavaScript's string length), the one unit of every length limit
 * of skill-metrics: the tracking options, the live context's setters, text caps and these rules agree. A text
 * within a limit in code units is within it in characters too, so PostgreSQL's varchar(n) always holds it.
 * class-validator's own MaxLength/MinLength count characters (and skip variation selectors), so an id of 255
 * emoji (510 code units) passed record() but not the decorator's options. Same rule names ("maxLength",
 * "minLength"), so reports and the rule table read them as before.
 */

/** At most `max` UTF-16 code units. */
export function MaxLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: "maxLength",
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === "string" && value.length <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be at most $constraint1 UTF-16 code units long`, options),
      },
    },
    options,
  );
}

/** At least `min` UTF-16 code units. */
export function MinLength(min: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: "minLength",
      constraints: [min],
      validator: {
        validate: (value: unknown) => typeof value === "string" && value.length >= min,
        defaultMessage: buildMessage((each) => `${each}$property must be at least $constraint1 UTF-16 code units long`, options),
      },
    },
    options,
  );
}
