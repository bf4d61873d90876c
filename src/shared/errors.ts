// The one error type of troupe. Every failure a client can see has a stable code from this
// catalogue; the router renders it as RFC 9457 problem+json and the docs page lists it.

export const ERROR_CATALOGUE = {
  INVALID_JSON: { status: 400, title: "The request body is not valid JSON" },
  INVALID_REQUEST: { status: 400, title: "The request does not match its schema" },
  INVALID_SCHEDULE_TIMING: { status: 400, title: "Give exactly one of cron, at or delay_seconds" },
  INVALID_CRON: { status: 400, title: "The cron expression is not valid" },
  CRON_TOO_FREQUENT: { status: 400, title: "The cron expression fires more often than allowed" },
  SCHEDULE_IN_PAST: { status: 400, title: "The schedule's time has already passed" },
  SCHEDULE_TOO_FAR: { status: 400, title: "The schedule's time is too far ahead" },
  INVALID_WEBHOOK_URL: { status: 400, title: "The webhook URL is not allowed" },
  UNAUTHENTICATED: { status: 401, title: "Credentials are required" },
  INVALID_TOKEN: { status: 401, title: "The bearer token is not valid" },
  TOKEN_EXPIRED: { status: 401, title: "The bearer token has expired" },
  INVALID_SIGNATURE: { status: 401, title: "The service signature is not valid" },
  TOKEN_REVOKED: { status: 401, title: "The creation token was revoked by a rotation" },
  FORBIDDEN: { status: 403, title: "This principal may not do this" },
  CREATION_SCOPE_DENIED: { status: 403, title: "A creation token may not call this route" },
  CREATION_SCOPE_MISMATCH: { status: 403, title: "The creation token belongs to another creation" },
  SCHEDULE_LIMIT_REACHED: { status: 403, title: "The creation has the most schedules allowed" },
  NOT_FOUND: { status: 404, title: "No such resource" },
  CREATION_NOT_FOUND: { status: 404, title: "No such creation" },
  SCHEDULE_NOT_FOUND: { status: 404, title: "No such schedule" },
  METHOD_NOT_ALLOWED: { status: 405, title: "This resource does not support the method" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json" },
  CREATION_EXISTS: { status: 409, title: "The creation already exists" },
  SERVER_MISCONFIGURED: { status: 500, title: "The server is misconfigured" },
  INTERNAL: { status: 500, title: "An unexpected error occurred" },
  ROOM_TARGET_UNAVAILABLE: {
    status: 501,
    title: "Room targets need real-time rooms, not yet served",
  },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export type ErrorStatus = (typeof ERROR_CATALOGUE)[ErrorCode]["status"];

/** Extension members of a problem body, e.g. `balance`, `required`, `shortfall`. */
export type ProblemExtensions = Record<string, unknown>;

export class ApiError extends Error {
  readonly status: ErrorStatus;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "ApiError";
    this.status = ERROR_CATALOGUE[code].status;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CATALOGUE, value);
}

/**
 * An ApiError thrown inside an actor reaches the router through Workers RPC as a plain Error
 * that keeps its own properties (name, code, detail, extensions); this restores the type.
 */
export function asApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (!(error instanceof Error) || error.name !== "ApiError") return null;
  const { code, detail, extensions } = error as Error & Partial<ApiError>;
  if (!isErrorCode(code) || typeof detail !== "string") return null;
  return new ApiError(code, detail, extensions ?? {});
}

/** The `type` URI of a problem: a link to the code's entry on the docs page. */
export function problemType(code: ErrorCode): string {
  return `/docs#error-${code}`;
}
