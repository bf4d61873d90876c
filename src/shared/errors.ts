// The one error type of troupe. Every failure a client can see has a stable code from this
// catalogue; the router renders it as RFC 9457 problem+json and the docs page lists it.

export const ERROR_CATALOGUE = {
  INVALID_JSON: { status: 400, title: "The request body is not valid JSON" },
  INVALID_REQUEST: { status: 400, title: "The request does not match its schema" },
  UNAUTHENTICATED: { status: 401, title: "Credentials are required" },
  INVALID_TOKEN: { status: 401, title: "The bearer token is not valid" },
  TOKEN_EXPIRED: { status: 401, title: "The bearer token has expired" },
  INVALID_SIGNATURE: { status: 401, title: "The service signature is not valid" },
  FORBIDDEN: { status: 403, title: "This principal may not do this" },
  NOT_FOUND: { status: 404, title: "No such resource" },
  METHOD_NOT_ALLOWED: { status: 405, title: "This resource does not support the method" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json" },
  SERVER_MISCONFIGURED: { status: 500, title: "The server is misconfigured" },
  INTERNAL: { status: 500, title: "An unexpected error occurred" },
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

/** The `type` URI of a problem: a link to the code's entry on the docs page. */
export function problemType(code: ErrorCode): string {
  return `/docs#error-${code}`;
}
