// The one place where failures become responses: RFC 9457 problem+json with a stable code.
// Routes throw ApiError; anything else is logged with the request id and shown as INTERNAL,
// so no stack trace or internal message ever reaches a client.

import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  ApiError,
  asApiError,
  ERROR_CATALOGUE,
  type ErrorCode,
  problemBody,
} from "../../shared/errors.ts";
import type { AppContext } from "../context.ts";

export function problem(c: AppContext, error: ApiError): Response {
  const body = problemBody(error, c.get("requestId"));
  if (error.status === 401) c.header("WWW-Authenticate", 'Bearer realm="troupe"');
  c.header("Content-Type", "application/problem+json");
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode);
}

/** Hono's own exceptions (e.g. from built-in middleware) keep their status under our codes. */
const CODE_FOR_HTTP_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "INVALID_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

export function onError(error: Error, c: AppContext): Response {
  const apiError = asApiError(error);
  if (apiError) {
    if (apiError.status === 500) logError(c, apiError);
    return problem(c, apiError);
  }
  const code = error instanceof HTTPException ? CODE_FOR_HTTP_STATUS[error.status] : undefined;
  if (code) return problem(c, new ApiError(code, ERROR_CATALOGUE[code].title));
  logError(c, error);
  return problem(
    c,
    new ApiError("INTERNAL", "The server failed to handle this request; quote the request_id."),
  );
}

function logError(c: AppContext, error: Error): void {
  console.error(
    JSON.stringify({
      level: "error",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      error: error.name,
      message: error.message,
      stack: error.stack,
    }),
  );
}

/** The 404 of a path no route serves (also what a disabled route answers, so it looks absent). */
export function noRoute(c: AppContext): ApiError {
  return new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`);
}
