// What valibot's object schemas let through and a JSON API must not: valibot accepts an array
// (or any object) where an object is expected, and `v.object` drops unknown keys silently. This
// walks a schema beside a parsed JSON value and names the first field that is the wrong kind of
// thing or that the schema does not know, so every body is refused the same way, field named.

import type * as v from "valibot";
import { isJsonObject } from "../json.ts";

export interface ShapeProblem {
  field: string;
  message: string;
}

type AnySchema = v.GenericSchema & {
  type: string;
  wrapped?: AnySchema;
  entries?: Record<string, AnySchema>;
  item?: AnySchema;
  value?: AnySchema;
  key?: string;
  options?: AnySchema[];
  literal?: unknown;
};

/** Wrappers and the empty value each lets through unchanged (the schema decides the rest). */
const WRAPPERS: Record<string, (value: unknown) => boolean> = {
  optional: (value) => value === undefined,
  exact_optional: (value) => value === undefined,
  undefinedable: (value) => value === undefined,
  nullable: (value) => value === null,
  nullish: (value) => value === undefined || value === null,
};
const OBJECTS = new Set(["object", "strict_object", "loose_object", "object_with_rest"]);
/** Object schemas that admit no key beyond their entries. */
const CLOSED_OBJECTS = new Set(["object", "strict_object"]);

const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

export function shapeProblem(
  schema: v.GenericSchema,
  value: unknown,
  path = "",
): ShapeProblem | null {
  let current = schema as AnySchema;
  while (Object.hasOwn(WRAPPERS, current.type) && current.wrapped) {
    if (WRAPPERS[current.type]?.(value)) return null;
    current = current.wrapped;
  }
  if (OBJECTS.has(current.type)) return objectProblem(current, value, path);
  if (current.type === "record") {
    if (!isJsonObject(value)) return { field: path || "body", message: "must be a JSON object" };
    for (const [key, item] of Object.entries(value)) {
      const problem = current.value ? shapeProblem(current.value, item, join(path, key)) : null;
      if (problem) return problem;
    }
    return null;
  }
  if (current.type === "array" && Array.isArray(value) && current.item) {
    for (const [index, item] of value.entries()) {
      const problem = shapeProblem(current.item, item, join(path, index));
      if (problem) return problem;
    }
    return null;
  }
  if (current.type === "variant" && current.key && current.options) {
    // A variant always chooses between object schemas.
    if (!isJsonObject(value)) return { field: path || "body", message: "must be a JSON object" };
    const key = current.key;
    const option = current.options.find(
      (candidate) => candidate.entries?.[key]?.literal === value[key],
    );
    return option ? shapeProblem(option, value, path) : null;
  }
  if (current.type === "union" && current.options) {
    const problems = current.options.map((option) => shapeProblem(option, value, path));
    return problems.includes(null) ? null : (problems[0] ?? null);
  }
  return null;
}

function objectProblem(schema: AnySchema, value: unknown, path: string): ShapeProblem | null {
  if (!isJsonObject(value)) return { field: path || "body", message: "must be a JSON object" };
  const entries = schema.entries ?? {};
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(entries, key)) {
      const problem = shapeProblem(entries[key] as AnySchema, value[key], join(path, key));
      if (problem) return problem;
    } else if (CLOSED_OBJECTS.has(schema.type)) {
      return { field: join(path, key), message: "is not a known field" };
    }
  }
  return null;
}
