/** One top-level element of a JSON array: its source text and the 1-based line where it starts. */
export interface JsonElement {
  readonly line: number;
  readonly text: string;
}

/** The input is not a JSON array (or is cut short). */
export class JsonArraySyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`JSON line ${line}: ${message}`);
    this.name = "JsonArraySyntaxError";
  }
}

/**
 * Splits a JSON array into its top-level elements while streaming, holding one element in memory at a time
 * (a file of a million records must not be parsed as one value). Each element's text is left to JSON.parse.
 */
export async function* readJsonArrayElements(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<JsonElement> {
  const decoder = new TextDecoder("utf-8");
  let state: "before" | "between" | "element" | "after" = "before";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let start = 1;
  let parts: string[] = [];
  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const out: JsonElement[] = [];
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (state === "element") {
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === "\\") escaped = true;
          else if (ch === '"') inString = false;
          continue;
        }
        if (ch === '"') inString = true;
        else if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          if (depth === 0) {
            // the array's own closing bracket ends the last element
            parts.push(text.slice(from, i));
            out.push({ line: start, text: parts.join("") });
            parts = [];
            state = "after";
          } else depth--;
        } else if (ch === "," && depth === 0) {
          parts.push(text.slice(from, i));
          out.push({ line: start, text: parts.join("") });
          parts = [];
          state = "between";
        }
        if (ch === "\n") line++;
        continue;
      }
      if (ch === "\n") {
        line++;
        continue;
      }
      if (ch === " " || ch === "\t" || ch === "\r") continue;
      if (state === "before") {
        if (ch !== "[") throw new JsonArraySyntaxError(line, `expected "[" to open the array, found ${JSON.stringify(ch)}`);
        state = "between";
      } else if (state === "between") {
        if (ch === "]") {
          state = "after";
          continue;
        }
        state = "element";
        start = line;
        from = i;
        depth = 0;
        i--; // let the element state see its first character
      } else {
        throw new JsonArraySyntaxError(line, `unexpected ${JSON.stringify(ch)} after the end of the array`);
      }
    }
    if (state === "element") parts.push(text.slice(from));
    yield* out;
  }
  if ((state as string) !== "after") throw new JsonArraySyntaxError(line, "the array is not closed with \"]\"");
}
