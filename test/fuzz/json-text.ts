// JSON values the fuzzer sends, including ones JSON.stringify cannot produce: lone surrogate
// escapes, `__proto__` as an ordinary key, duplicate keys, -0, 10,000-deep nesting and 100 KB
// strings. Each special node prints itself briefly, so a shrunk counterexample stays readable
// instead of dumping a 100 KB string into the report.

import * as fc from "fast-check";

/** The JSON types a value can have; "invalid" is text that is not JSON at all. */
export type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

/** JSON text inserted verbatim where a value goes. `kind` (and `keys` for an object) tell the
 * oracle what the text parses to, without parsing a 10,000-deep document on the test side. */
export class RawJson {
  constructor(
    readonly text: string,
    readonly label: string,
    readonly kind: JsonType | "invalid",
    readonly keys: readonly string[] = [],
  ) {}
  [fc.toStringMethod](): string {
    return `raw(${this.label})`;
  }
}

/** An object as an ordered list of entries: may hold `__proto__`, `constructor` or a key twice. */
export class Entries {
  constructor(readonly entries: readonly (readonly [string, JsonLike])[]) {}
  [fc.toStringMethod](): string {
    const body = this.entries.map(
      ([key, value]) => `${JSON.stringify(key)}: ${fc.stringify(value)}`,
    );
    return `{ ${body.join(", ")} }`;
  }
}

/** A long string of one repeated unit, sent in full but printed as its recipe. */
export class LongString {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}
  get value(): string {
    return this.unit.repeat(this.count);
  }
  [fc.toStringMethod](): string {
    return `${JSON.stringify(this.unit)}.repeat(${this.count})`;
  }
}

export type JsonLike =
  | null
  | boolean
  | number
  | string
  | RawJson
  | Entries
  | LongString
  | readonly JsonLike[]
  | { readonly [key: string]: JsonLike };

/** Serializes a JsonLike to the exact text sent on the wire. */
export function jsonText(value: JsonLike): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof LongString) return JSON.stringify(value.value);
  if (value instanceof Entries) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => jsonText(item)).join(",")}]`;
  if (typeof value === "number") {
    // JSON.stringify turns -0 into 0 and non-finite numbers into null; keep what was meant.
    if (Object.is(value, -0)) return "-0";
    if (!Number.isFinite(value)) return "null";
    return JSON.stringify(value);
  }
  if (value !== null && typeof value === "object") {
    return jsonText(new Entries(Object.entries(value as Record<string, JsonLike>)));
  }
  return JSON.stringify(value);
}
