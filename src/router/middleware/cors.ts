import { cors } from "hono/cors";
import { corsOrigins } from "../../shared/config.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../shared/service-signature.ts";
import { PUBLISHABLE_KEY_HEADER } from "../auth/api-key.ts";
import type { AppContext } from "../context.ts";

const CORS_MAX_AGE_SECONDS = 600;

/** CORS for browsers calling the API from the origins in CORS_ORIGINS ("*" = any). */
export const corsPolicy = cors({
  origin: (origin, c) => {
    const allowed = corsOrigins((c as AppContext).env);
    if (allowed === "*") return "*";
    return allowed.includes(origin) ? origin : null;
  },
  allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: [
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
    PUBLISHABLE_KEY_HEADER,
    TIMESTAMP_HEADER,
    SIGNATURE_HEADER,
  ],
  exposeHeaders: [
    "x-request-id",
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
  ],
  maxAge: CORS_MAX_AGE_SECONDS,
});
