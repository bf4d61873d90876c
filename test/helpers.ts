import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { expect } from "vitest";
import { clock } from "../src/shared/clock.ts";
import { signRequest } from "../src/shared/service-signature.ts";

export const ORIGIN = "https://troupe.test";

// The loopback binding to the test Worker's default export (test/fixtures/worker.ts).
const worker = (exports as unknown as { default: Fetcher }).default;

/** Sends a request through the test Worker's real fetch handler. */
export function api(path: string, init?: RequestInit): Promise<Response> {
  return worker.fetch(new Request(`${ORIGIN}${path}`, init));
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}) {
  return {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  } satisfies RequestInit;
}

export interface TokenOptions {
  sub?: string;
  email?: string;
  admin?: boolean;
  /** Seconds from now; negative for an already expired token. */
  expiresInSeconds?: number;
  secret?: string;
  algorithm?: string;
  /** More claims, e.g. an agent's `agent_id` and `name`, or `email_verified`. */
  claims?: Record<string, unknown>;
}

export async function userToken(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  const claims: Record<string, unknown> = { ...options.claims };
  if (options.email) claims.email = options.email;
  if (options.admin) claims.role = "admin";
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.algorithm ?? "HS256" })
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600));
  if (options.sub !== undefined) jwt.setSubject(options.sub);
  return jwt.sign(new TextEncoder().encode(options.secret ?? env.AUTH_JWT_SECRET));
}

export async function bearer(options: TokenOptions = {}) {
  return { authorization: `Bearer ${await userToken({ sub: "alice", ...options })}` };
}

/** The signature headers for a service call, signed with the first active secret. */
export async function serviceHeaders(
  method: string,
  pathAndQuery: string,
  body = "",
  options: { secret?: string; nowSeconds?: number } = {},
): Promise<Record<string, string>> {
  const secret = options.secret ?? env.SERVICE_SECRETS.split(",")[0] ?? "";
  const { timestamp, signature } = await signRequest(
    secret,
    { method, pathAndQuery, body },
    options.nowSeconds,
  );
  return { "troupe-timestamp": timestamp, "troupe-signature": signature };
}

export async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
    request_id: string;
    [extension: string]: unknown;
  };
}

export interface CreatedCreation {
  id: string;
  owner: string;
  name: string | null;
  token: string;
  token_version: number;
  webhook_secret: string;
  webhook_url: string | null;
  allow_anonymous: boolean;
  created_at: string;
  updated_at: string;
}

/** Creates a creation owned by `owner` through the API. */
export async function createCreation(owner = "alice", body: Record<string, unknown> = {}) {
  const response = await api("/v1/creations", jsonInit("POST", body, await bearer({ sub: owner })));
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedCreation;
}

export const asCreation = (token: string) => ({ authorization: `Bearer ${token}` });

/** How long eventually() waits for an effect that lands on an alarm (an outbox delivery, a D1
 * projection). Generous, because a busy machine delays alarms; the check itself stays exact. */
const EVENTUALLY_TIMEOUT_MS = 10_000;
const EVENTUALLY_INTERVAL_MS = 20;

/** Reads until `done` accepts the value (outbox messages and projections land on an alarm),
 * giving up after EVENTUALLY_TIMEOUT_MS and returning the last value for the assertion. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  let value = await read();
  for (
    let waited = 0;
    !done(value) && waited < EVENTUALLY_TIMEOUT_MS;
    waited += EVENTUALLY_INTERVAL_MS
  ) {
    await new Promise((resolve) => setTimeout(resolve, EVENTUALLY_INTERVAL_MS));
    value = await read();
  }
  return value;
}
