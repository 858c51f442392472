import { decodeUtf8Strictly } from "./strict-utf8";

/** One top-level element of a JSON array: its source text and where it starts (1-based line and column). */
export interface JsonElement {
  readonly line: number;
  readonly column: number;
  /** The element's text; empty when it was longer than the limit (then `tooLong` is set). */
  readonly text: string;
  /** Set when the element was longer than `maxElementChars`: its text was not kept. */
  readonly tooLong?: boolean;
}

/** The input is not a JSON array (or is cut short, or has a trailing comma or a comment between elements). */
export class JsonArraySyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(`JSON line ${line} column ${column}: ${message}`);
    this.name = "JsonArraySyntaxError";
  }
}

/**
 * Splits a JSON array into its top-level elements while streaming, holding one element in memory at a time
 * (a file of a million records must not be parsed as one value). Each element's text is left to JSON.parse,
 * which is strict; between elements this reader is as strict: a trailing comma (`[{…},]`), an empty element
 * (`[,{…}]`) or a comment is a syntax error with its line and column. Bytes are decoded strictly
 * (decodeUtf8Strictly). An element longer than `maxElementChars` UTF-16 code units is not kept: it comes out
 * with `tooLong` set and reading goes on, so memory stays bounded whatever the file.
 */
export async function* readJsonArrayElements(
  chunks: AsyncIterable<string | Buffer>,
  maxElementChars = Infinity,
): AsyncGenerator<JsonElement> {
  let state: "before" | "between" | "afterComma" | "element" | "after" = "before";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let column = 0; // of the character being read
  let start = { line: 1, column: 1 };
  let parts: string[] = [];
  let elementChars = 0;
  let tooLong = false;
  const keep = (piece: string) => {
    elementChars += piece.length;
    if (tooLong) return;
    if (elementChars > maxElementChars) {
      tooLong = true;
      parts = [];
    } else parts.push(piece);
  };
  const finish = (out: JsonElement[]) => {
    out.push({ ...start, text: tooLong ? "" : parts.join(""), ...(tooLong ? { tooLong: true } : {}) });
    parts = [];
    elementChars = 0;
    tooLong = false;
  };
  for await (const text of decodeUtf8Strictly(chunks)) {
    const out: JsonElement[] = [];
    try {
      readChunk(text, out);
    } catch (error) {
      // The elements completed before the error are good: a non-strict import commits them.
      yield* out;
      throw error;
    }
    yield* out;
  }
  if ((state as string) !== "after") throw new JsonArraySyntaxError(line, column, 'the array is not closed with "]"');

  function readChunk(text: string, out: JsonElement[]): void {
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      column++;
      if (state === "element") {
        if (ch === "\n") {
          line++;
          column = 0;
        }
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
            keep(text.slice(from, i));
            finish(out);
            state = "after";
          } else depth--;
        } else if (ch === "," && depth === 0) {
          keep(text.slice(from, i));
          finish(out);
          state = "afterComma";
        }
        continue;
      }
      if (ch === "\n") {
        line++;
        column = 0;
        continue;
      }
      if (ch === " " || ch === "\t" || ch === "\r") continue;
      if (ch === "/") throw new JsonArraySyntaxError(line, column, "comments are not JSON");
      if (state === "before") {
        if (ch !== "[") throw new JsonArraySyntaxError(line, column, `expected "[" to open the array, found ${JSON.stringify(ch)}`);
        state = "between";
      } else if (state === "between" || state === "afterComma") {
        if (ch === "]") {
          if (state === "afterComma") throw new JsonArraySyntaxError(line, column, 'a trailing comma before "]"');
          state = "after";
          continue;
        }
        if (ch === ",") throw new JsonArraySyntaxError(line, column, "an empty element (two commas, or a comma after \"[\")");
        state = "element";
        start = { line, column };
        from = i;
        depth = 0;
        i--; // let the element state see its first character
        column--;
      } else {
        throw new JsonArraySyntaxError(line, column, `unexpected ${JSON.stringify(ch)} after the end of the array`);
      }
    }
    if (state === "element") keep(text.slice(from));
  }
}
