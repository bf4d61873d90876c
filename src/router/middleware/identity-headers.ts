import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";

// Headers that some systems (the seeds among them) trust as a verified identity. troupe
// derives identity only from credentials, and the router sets `x-troupe-*` itself when it
// forwards a request to an actor, so a client must never be able to send any of these.
export const IDENTITY_HEADER_PREFIX = "x-troupe-";
const IDENTITY_HEADERS = new Set([
  "x-verified-user",
  "x-verified-agent",
  "x-auth-type",
  "x-user-id",
  "x-platform-user-id",
]);

export function isIdentityHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(IDENTITY_HEADER_PREFIX) || IDENTITY_HEADERS.has(lower);
}

export const stripIdentityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  // Runs on every request: one pass, and only x- names (Headers gives them lower-cased) checked.
  const names: string[] = [];
  for (const name of c.req.raw.headers.keys()) {
    if (name.startsWith("x-") && isIdentityHeader(name)) names.push(name);
  }
  if (names.length > 0) {
    const headers = new Headers(c.req.raw.headers);
    for (const name of names) headers.delete(name);
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
});
