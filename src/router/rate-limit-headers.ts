// What a rate-limited route tells its caller, in every shape clients read: the IETF RateLimit
// fields (draft-ietf-httpapi-ratelimit-headers-11: `RateLimit-Policy: "name";q=100;w=60` and
// `RateLimit: "name";r=42;t=17`), seed 001's `x-ratelimit-remaining` / `x-ratelimit-reset`
// (seconds), and on a refusal `Retry-After` with a 429 whose body carries seed 002's `error`.

import { ApiError } from "../shared/errors.ts";
import type { AppContext } from "./context.ts";

/** One window of a limit: `limit` requests per `windowSeconds`, `remaining` of them left, the
 *  window ending in `resetSeconds` (at least 1). */
export interface RateWindow {
  policy: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

/** Seed 002's words, which its clients show. */
export const RATE_LIMIT_MESSAGE = "Rate limit exceeded. Try again in 1 minute.";

export function setRateLimitHeaders(c: AppContext, window: RateWindow): void {
  const name = JSON.stringify(window.policy);
  c.header("RateLimit-Policy", `${name};q=${window.limit};w=${window.windowSeconds}`);
  c.header("RateLimit", `${name};r=${window.remaining};t=${window.resetSeconds}`);
  c.header("x-ratelimit-limit", String(window.limit));
  c.header("x-ratelimit-remaining", String(window.remaining));
  c.header("x-ratelimit-reset", String(window.resetSeconds));
}

/** The 429 of a spent window, with its headers set on `c` (the error renderer keeps them). */
export function rateLimitExceeded(c: AppContext, window: RateWindow): ApiError {
  setRateLimitHeaders(c, { ...window, remaining: 0 });
  c.header("Retry-After", String(window.resetSeconds));
  return new ApiError(
    "RATE_LIMIT_EXCEEDED",
    `At most ${window.limit} requests per ${window.windowSeconds} s; retry after ${window.resetSeconds} s.`,
    {
      error: RATE_LIMIT_MESSAGE,
      limit: window.limit,
      remaining: 0,
      retry_after: window.resetSeconds,
    },
  );
}
