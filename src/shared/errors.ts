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
  INVALID_SUBDOMAIN: {
    status: 400,
    title: "A subdomain is a DNS label: 1-63 of a-z, 0-9 and -, no hyphen at either end",
  },
  IDEMPOTENCY_KEY_MISMATCH: {
    status: 400,
    title: "The Idempotency-Key header and reference_id differ",
  },
  INVALID_PATCH: { status: 400, title: "The patch cannot be applied to the room's state" },
  INVALID_FRAME: { status: 400, title: "The room frame does not match the protocol" },
  MODEL_NOT_ALLOWED: { status: 400, title: "The model is not one this creation's users may pick" },
  FRAME_TOO_LARGE: { status: 413, title: "The room frame is too large" },
  PRESENCE_TOO_LARGE: { status: 413, title: "The presence data is too large" },
  RATE_LIMITED: { status: 429, title: "Too many frames; slow down" },
  TIMER_LIMIT: { status: 403, title: "The room runs the most timers allowed" },
  TIMER_NOT_FOUND: { status: 404, title: "No such timer is running" },
  PATCH_ID_REUSED: {
    status: 422,
    title: "The patch id was already used for a different patch",
  },
  INVALID_TICKET: { status: 401, title: "The room ticket is unknown, used or expired" },
  FORBIDDEN_PATH: { status: 403, title: "The caller may not write this path of the room's state" },
  STATE_TOO_LARGE: { status: 413, title: "The room's state would grow past its limit" },
  ROOM_FULL: { status: 429, title: "The room holds the most connections allowed" },
  NOT_A_WEBSOCKET: { status: 426, title: "Connect with Upgrade: websocket" },
  INVALID_STRIPE_SIGNATURE: { status: 400, title: "The Stripe-Signature header is not valid" },
  UNAUTHENTICATED: { status: 401, title: "Credentials are required" },
  INVALID_TOKEN: { status: 401, title: "The bearer token is not valid" },
  TOKEN_EXPIRED: { status: 401, title: "The bearer token has expired" },
  INVALID_SIGNATURE: { status: 401, title: "The service signature is not valid" },
  SIGNATURE_REPLAYED: {
    status: 401,
    title: "This signed request was already received; sign each request once",
  },
  TOKEN_REVOKED: { status: 401, title: "The creation token was revoked by a rotation" },
  INVALID_API_KEY: { status: 401, title: "The API key is not valid" },
  KEY_REVOKED: { status: 401, title: "The API key was revoked or rolled" },
  KEY_EXPIRED: { status: 401, title: "The API key has expired" },
  CONTENT_CREDENTIAL_INVALID: { status: 401, title: "The content credential is not genuine" },
  CONTENT_CREDENTIAL_EXPIRED: { status: 401, title: "The content credential has expired" },
  CONTENT_CREDENTIAL_WRONG_CREATION: {
    status: 403,
    title: "The content credential was issued for another creation",
  },
  KEY_SCOPE_DENIED: { status: 403, title: "The API key's scopes do not cover this route" },
  TEST_KEY_NOT_ALLOWED: { status: 403, title: "A test key may not move credits" },
  PAYMENTS_NOT_ENABLED: { status: 403, title: "The creation does not take payments" },
  ENTITLEMENT_TOKEN_INVALID: {
    status: 403,
    title: "The entitlement access token is not genuine",
  },
  ENTITLEMENT_TOKEN_EXPIRED: {
    status: 403,
    title: "The entitlement access token has expired; the buyer refreshes it",
  },
  ACCESS_TOKEN_WRONG_KIND: {
    status: 403,
    title: "A budget access token and an entitlement access token are not interchangeable",
  },
  KEY_MODE_MISMATCH: {
    status: 403,
    title: "Test keys meter test usage and live keys live usage, never the other",
  },
  PUBLISHABLE_KEY_NOT_ALLOWED: {
    status: 403,
    title: "A publishable key identifies a creation only to browser-safe routes",
  },
  PUBLISHABLE_KEY_REQUIRED: { status: 401, title: "This route needs an X-Publishable-Key" },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    title: "The publishable key may not be used from this origin",
  },
  API_KEY_LIMIT_REACHED: { status: 403, title: "The creation holds the most API keys allowed" },
  CHAT_LIMIT_REACHED: { status: 403, title: "The user holds the most chats allowed here" },
  SESSION_BUSY: { status: 429, title: "The session runs the most generations at once allowed" },
  RATE_LIMIT_EXCEEDED: {
    status: 429,
    title: "Too many requests in this window; retry after Retry-After seconds",
  },
  TIER_LIMIT_REACHED: {
    status: 403,
    title: "The user has used every call their tier allows this month",
  },
  INSUFFICIENT_CREATION_FUNDS: {
    status: 402,
    title: "The creation's wallet cannot pay for this",
  },
  INSUFFICIENT_CREDITS: { status: 402, title: "The wallet cannot pay for this" },
  FORBIDDEN: { status: 403, title: "This principal may not do this" },
  CREATION_SCOPE_DENIED: { status: 403, title: "A creation token may not call this route" },
  CREATION_SCOPE_MISMATCH: { status: 403, title: "The creation token belongs to another creation" },
  SUBDOMAIN_RESERVED: { status: 403, title: "The subdomain is reserved" },
  SUBDOMAIN_PREALLOCATED: {
    status: 403,
    title: "The subdomain is set aside for another user",
  },
  QUOTA_EXCEEDED: { status: 403, title: "The plan allows no more subdomains" },
  NOT_INVITED: { status: 403, title: "The caller's email has no invitation to this subdomain" },
  EMAIL_REQUIRED: { status: 403, title: "The caller's token carries no email" },
  SCHEDULER_FULL: { status: 403, title: "The actor holds the most scheduled jobs allowed" },
  COLLABORATOR_LIMIT_REACHED: {
    status: 403,
    title: "The subdomain has the most collaborators allowed",
  },
  SCHEDULE_LIMIT_REACHED: { status: 403, title: "The creation has the most schedules allowed" },
  AUTHORIZATION_LIMIT_REACHED: {
    status: 403,
    title: "The user has the most authorizations allowed",
  },
  AUTH_TOKEN_INVALID: { status: 403, title: "The on-behalf-of access token is not genuine" },
  AUTH_TOKEN_EXPIRED: { status: 403, title: "The on-behalf-of access token has expired" },
  AUTH_WRONG_CREATION: {
    status: 403,
    title: "The access token was issued to another creation",
  },
  AUTH_NO_AUTHORIZATION: {
    status: 403,
    title: "The user has not authorized this creation to spend",
  },
  AUTH_AUTHORIZATION_REVOKED: {
    status: 403,
    title: "The user revoked this creation's authorization",
  },
  AUTH_AUTHORIZATION_EXPIRED: { status: 403, title: "The user's authorization has expired" },
  AUTH_BUDGET_EXCEEDED: {
    status: 403,
    title: "The spend exceeds the authorization's remaining budget",
  },
  AUTH_USER_DISABLED: { status: 403, title: "The user is disabled" },
  NOT_FOUND: { status: 404, title: "No such resource" },
  CREATION_NOT_FOUND: { status: 404, title: "No such creation" },
  SCHEDULE_NOT_FOUND: { status: 404, title: "No such schedule" },
  KEY_NOT_FOUND: { status: 404, title: "No such API key" },
  PRODUCT_NOT_FOUND: { status: 404, title: "The creation sells no product with that sku" },
  ENTITLEMENT_NOT_FOUND: { status: 404, title: "No such entitlement" },
  DEPOSIT_NOT_FOUND: { status: 404, title: "No such deposit" },
  PLAN_NOT_FOUND: { status: 404, title: "No tier of this creation has that id" },
  CHAT_NOT_FOUND: { status: 404, title: "No such chat" },
  HOLD_NOT_FOUND: { status: 404, title: "No such hold" },
  SUBDOMAIN_NOT_FOUND: { status: 404, title: "The subdomain is not claimed" },
  COLLABORATOR_NOT_FOUND: { status: 404, title: "No such collaborator" },
  TRANSACTION_NOT_FOUND: { status: 404, title: "No such transaction" },
  AUTHORIZATION_NOT_FOUND: { status: 404, title: "No such authorization" },
  SECRET_NOT_FOUND: { status: 404, title: "No such secret" },
  SECRET_LIMIT_REACHED: { status: 403, title: "The owner holds the most secrets allowed" },
  SECRET_TOO_LARGE: { status: 413, title: "The secret's value is too large" },
  SECRET_UNREADABLE: {
    status: 500,
    title: "A stored secret cannot be decrypted with the configured keys",
  },
  METHOD_NOT_ALLOWED: { status: 405, title: "This resource does not support the method" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json" },
  CREATION_EXISTS: { status: 409, title: "The creation already exists" },
  SUBDOMAIN_TAKEN: { status: 409, title: "The subdomain is already claimed" },
  CLAIM_EXPIRED: { status: 409, title: "The claim took too long and was abandoned; try again" },
  KEY_NOT_ACTIVE: { status: 409, title: "The API key was already revoked or rolled" },
  ALREADY_PURCHASED: { status: 409, title: "The user already owns this one-time product" },
  ENTITLEMENT_EXHAUSTED: { status: 409, title: "The entitlement has no uses left" },
  ENTITLEMENT_NOT_CONSUMABLE: {
    status: 409,
    title: "Only a consumable's uses can be used; this entitlement has none",
  },
  ENTITLEMENT_NOT_ACTIVE: { status: 409, title: "The entitlement is not active" },
  CREATION_FUNDS_SHORT_FOR_REFUND: {
    status: 409,
    title: "The creation's wallet cannot return its share of the sale; nothing was refunded",
  },
  GENERATION_IN_PROGRESS: {
    status: 409,
    title: "The chat is already generating a reply; one at a time",
  },
  HOLD_NOT_ACTIVE: { status: 409, title: "The hold was already captured, released or expired" },
  NOT_REFUNDABLE: { status: 409, title: "Only spends and captures can be refunded" },
  ALREADY_REFUNDED: { status: 409, title: "The transaction was already refunded" },
  CAPTURE_EXCEEDS_HOLD: { status: 422, title: "A capture may not exceed the amount held" },
  REFUND_EXCEEDS_SPEND: { status: 422, title: "A refund may not exceed the amount spent" },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: "The idempotency key was used with a different request",
  },
  SERVER_MISCONFIGURED: { status: 500, title: "The server is misconfigured" },
  GENERATION_FAILED: {
    status: 502,
    title: "The model provider failed before the reply was complete",
  },
  INTERNAL: { status: 500, title: "An unexpected error occurred" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export type ErrorStatus = (typeof ERROR_CATALOGUE)[ErrorCode]["status"];

/** Extension members of a problem body, e.g. `balance`, `required`, `shortfall`. */
export type ProblemExtensions = Record<string, unknown>;

// Plain fields rather than parameter properties: Node's type stripping loads this file too
// (the import script), and it cannot run TypeScript-only syntax.
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly extensions: ProblemExtensions;
  readonly status: ErrorStatus;

  constructor(code: ErrorCode, detail: string, extensions: ProblemExtensions = {}) {
    super(`${code}: ${detail}`);
    this.name = "ApiError";
    this.code = code;
    this.detail = detail;
    this.extensions = extensions;
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

/** The id of a code's entry on the docs page (src/router/docs-page.ts). */
export function errorAnchor(code: ErrorCode): string {
  return `error-${code}`;
}

/** The `type` URI of a problem: a link to the code's entry on the docs page. */
export function problemType(code: ErrorCode): string {
  return `/docs#${errorAnchor(code)}`;
}

/** An RFC 9457 problem body: the one rendering of every refusal, over HTTP and in room error
 * frames. Standard members first for readers; an extension can never overwrite one. */
export function problemBody(error: ApiError, requestId?: string): Record<string, unknown> {
  const standard = {
    type: problemType(error.code),
    title: ERROR_CATALOGUE[error.code].title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(requestId === undefined ? {} : { request_id: requestId }),
  };
  return { ...standard, ...error.extensions, ...standard };
}

export type InputLocation = "path" | "query" | "header" | "body";

/** 400 INVALID_REQUEST for one field, in the shape schema failures have (`detail` names the
 * field; `location` and `errors` say where), for rules a schema cannot express. */
export function invalidField(location: InputLocation, field: string, message: string): ApiError {
  return new ApiError("INVALID_REQUEST", `${location} ${field}: ${message}`, {
    location,
    errors: [{ field, message }],
  });
}
