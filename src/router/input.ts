// Parses path parameters, query strings and JSON bodies with the shared valibot schemas.
// Malformed JSON is INVALID_JSON; a value that fails its schema is INVALID_REQUEST naming the
// field, so a client can fix its request without reading server logs.

import * as v from "valibot";
import { ApiError, type InputLocation, invalidField } from "../shared/errors.ts";
import { jsonProblem } from "../shared/json.ts";
import { shapeProblem } from "../shared/schemas/shape.ts";
import type { AppContext } from "./context.ts";

export type InputSchema = v.GenericSchema;

export function parseInput<S extends InputSchema>(
  location: InputLocation,
  schema: S,
  value: unknown,
): v.InferOutput<S> {
  if (location === "body") {
    const shape = shapeProblem(schema, value);
    if (shape) throw invalidField(location, shape.field, shape.message);
  }
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const errors = result.issues.map((issue) => ({
    field: v.getDotPath(issue) ?? location,
    message: issue.message,
  }));
  const [first] = errors;
  throw new ApiError("INVALID_REQUEST", `${location} ${first?.field}: ${first?.message}`, {
    location,
    errors,
  });
}

/** Reads the JSON body; an empty body is `undefined` when the route's schema allows that. */
export async function readJsonBody(c: AppContext, schema: InputSchema): Promise<unknown> {
  const text = c.req.raw.body ? await c.req.text() : "";
  if (text.trim() === "") {
    if (v.safeParse(schema, undefined).success) return undefined;
    throw new ApiError("INVALID_JSON", "The request needs a JSON body.");
  }
  const contentType = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Send the body with content-type application/json.",
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "unparseable";
    throw new ApiError("INVALID_JSON", `The request body is not valid JSON: ${reason}`);
  }
  // Depth, non-finite numbers and `__proto__` keys, before any schema walks the value.
  const problem = jsonProblem(body);
  if (problem) throw invalidField("body", "body", problem);
  return body;
}
