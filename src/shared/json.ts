import * as v from "valibot";
import { JSON_MAX_DEPTH } from "./limits.ts";

/** Any JSON value: what a request body can carry and what Workers RPC can pass along.
 * (Interfaces keep the recursion lazy, so RPC stub types over it stay cheap to check.) */
export type JsonValue = null | boolean | number | string | JsonArray | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
export interface JsonArray extends Array<JsonValue> {}

/** Why a value is not acceptable JSON, or null when it is. */
export function jsonProblem(value: unknown, maxDepth = JSON_MAX_DEPTH): string | null {
  // Iterative, so a hostile 100,000-deep value cannot exhaust the stack before it is refused.
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value: current, depth } = item;
    if (current === null || typeof current === "string" || typeof current === "boolean") continue;
    if (typeof current === "number") {
      if (!Number.isFinite(current)) return "must hold only finite numbers";
      continue;
    }
    if (typeof current !== "object") return "must be a JSON value";
    if (depth >= maxDepth) return `may nest at most ${maxDepth} levels deep`;
    if (Array.isArray(current)) {
      for (const element of current) pending.push({ value: element, depth: depth + 1 });
      continue;
    }
    if (Object.getPrototypeOf(current) !== Object.prototype) return "must be a JSON value";
    for (const [key, element] of Object.entries(current)) {
      // Harmless as an own property here, but a trap for any client that merges the value.
      if (key === "__proto__") return 'may not use "__proto__" as a key';
      pending.push({ value: element, depth: depth + 1 });
    }
  }
  return null;
}

/** A JSON object: not null, not an array. The one such check of server, protocol and SDK. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed JSON text, or undefined when it is not JSON (a frame, a stored record). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Any JSON value of at most JSON_MAX_DEPTH levels, with finite numbers and no `__proto__` key. */
export const JsonValueSchema = v.custom<JsonValue>(
  (value) => jsonProblem(value) === null,
  (issue) => jsonProblem(issue.input) ?? "must be a JSON value",
);

/** A JSON object (not an array or null) under the same rules as JsonValueSchema. */
export const JsonObjectSchema = v.custom<JsonObject>(
  (value) => isJsonObject(value) && jsonProblem(value) === null,
  (issue) =>
    (isJsonObject(issue.input) ? jsonProblem(issue.input) : null) ?? "must be a JSON object",
);

/** JSON with sorted keys, so the same input always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  );
}
