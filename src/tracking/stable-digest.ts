import { createHash } from "node:crypto";

/** Size and hash of a value's stable serialization. */
export interface InputDigest {
  /** Bytes of the serialization: UTF-8 text plus raw binary contents. */
  readonly sizeBytes: number;
  /** sha256 of the serialization, lower-case hex. */
  readonly sha256: string;
}

/** Nesting deeper than this is serialized as `[Depth]` rather than risking a stack overflow. */
const MAX_DEPTH = 200;

type Chunk = string | Uint8Array;

/**
 * Serializes `value` in a form that depends only on its content, then measures and hashes it. Equal inputs
 * give equal hashes whatever their key order; nothing of the input is kept.
 *
 * The serialization (its exact rules matter because hashes are compared across runs):
 * - object keys sorted (own enumerable string keys); class instances prefixed by their class name;
 * - Map entries and Set members sorted by their own serialization;
 * - Buffer, typed arrays, DataView and ArrayBuffer contribute their raw bytes (not a JSON rendering);
 * - a reference back to an object being serialized becomes `[Circular]`; functions become `[Function name]`;
 * - undefined, bigint (`12n`), symbols, NaN/Infinity and Dates (`Date(ISO)`) have their own tokens;
 * - nesting deeper than 200 levels becomes `[Depth]`.
 * It never throws for any input except a getter that throws, which the caller must catch.
 */
export function stableDigest(value: unknown): InputDigest {
  const chunks: Chunk[] = [];
  serialize(value, chunks, new Set(), 0);
  const hash = createHash("sha256");
  let sizeBytes = 0;
  for (const chunk of chunks) {
    if (typeof chunk === "string") {
      hash.update(chunk, "utf8");
      sizeBytes += Buffer.byteLength(chunk, "utf8");
    } else {
      hash.update(chunk);
      sizeBytes += chunk.byteLength;
    }
  }
  return { sizeBytes, sha256: hash.digest("hex") };
}

function serialize(value: unknown, out: Chunk[], ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "number":
      out.push(Object.is(value, -0) ? "-0" : String(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "undefined":
      out.push("undefined");
      return;
    case "bigint":
      out.push(`${value}n`);
      return;
    case "symbol":
      out.push(`Symbol(${JSON.stringify(value.description ?? "")})`);
      return;
    case "function":
      out.push(`[Function ${JSON.stringify(value.name)}]`);
      return;
  }
  if (value === null) {
    out.push("null");
    return;
  }
  const object = value as object;
  if (ancestors.has(object)) {
    out.push("[Circular]");
    return;
  }
  if (depth >= MAX_DEPTH) {
    out.push("[Depth]");
    return;
  }
  if (ArrayBuffer.isView(object)) {
    out.push(`${object.constructor?.name ?? "Bytes"}(${object.byteLength}):`);
    out.push(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
    return;
  }
  if (object instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && object instanceof SharedArrayBuffer)) {
    out.push(`ArrayBuffer(${object.byteLength}):`);
    out.push(new Uint8Array(object));
    return;
  }
  if (object instanceof Date) {
    out.push(Number.isNaN(object.getTime()) ? "Date(Invalid)" : `Date(${object.toISOString()})`);
    return;
  }
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      out.push("[");
      for (let i = 0; i < object.length; i++) {
        if (i > 0) out.push(",");
        serialize(object[i], out, ancestors, depth + 1);
      }
      out.push("]");
    } else if (object instanceof Map) {
      out.push("Map{");
      pushSorted(Array.from(object, ([key, item]) => [key, item] as const), out, ancestors, depth);
      out.push("}");
    } else if (object instanceof Set) {
      out.push("Set{");
      pushSorted(Array.from(object, (item) => [item] as const), out, ancestors, depth);
      out.push("}");
    } else {
      const prototype = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) out.push(constructorName(object));
      if (object instanceof Error) out.push(`(${JSON.stringify(object.name)},${JSON.stringify(object.message)})`);
      out.push("{");
      const keys = Object.keys(object).sort();
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(",");
        out.push(JSON.stringify(keys[i]) + ":");
        serialize((object as Record<string, unknown>)[keys[i]], out, ancestors, depth + 1);
      }
      out.push("}");
    }
  } finally {
    ancestors.delete(object);
  }
}

/** Serializes each entry on its own, then emits them in the order of their serializations. */
function pushSorted(entries: ReadonlyArray<readonly unknown[]>, out: Chunk[], ancestors: Set<object>, depth: number): void {
  const rendered = entries.map((entry) => {
    const chunks: Chunk[] = [];
    entry.forEach((part, index) => {
      if (index > 0) chunks.push("=>");
      serialize(part, chunks, ancestors, depth + 1);
    });
    const sortKey = chunks.map((c) => (typeof c === "string" ? c : Buffer.from(c).toString("latin1"))).join("");
    return { sortKey, chunks };
  });
  rendered.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  rendered.forEach((entry, index) => {
    if (index > 0) out.push(",");
    for (const chunk of entry.chunks) out.push(chunk);
  });
}

function constructorName(object: object): string {
  const ctor = (object as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "Object";
}
