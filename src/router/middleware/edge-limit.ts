// A coarse limit per client address, checked first in every route it covers, before any
// credential is verified or any actor is called: a flood from one address costs one counter
// lookup and a 429, not a JWT verification, an actor call or a D1 read. Two classes, each a
// Workers Rate Limiting binding (wrangler.jsonc "ratelimits"):
//   public       routes with auth "public" (anyone may call them), unless exempt with a reason;
//   credentials  routes that mint a credential (`mintsCredentials`), whoever calls them.
// Authenticated routes are never counted here: their callers are known, and per-caller limits
// (metering, room and session guards) belong to the actors. docs/architecture.md, "Edge rate
// limits", says why each number is what it is.

import { hasServiceSignature } from "../auth/service.ts";
import type { AppContext } from "../context.ts";
import { type RateWindow, rateLimitExceeded } from "../rate-limit-headers.ts";
import type { RouteDefinition } from "../route.ts";

/** Both windows are a minute: the binding takes 10 or 60 seconds, nothing else. */
export const EDGE_LIMIT_WINDOW_SECONDS = 60;
/** Requests one address may make to public routes per window: page loads behind one NAT
 *  (an office, a classroom) stay far below it; a script hammering registry.json does not. */
export const EDGE_LIMIT_PUBLIC_PER_MINUTE = 300;
/** Credentials one address may mint per window: a person mints a few (a key, a page's content
 *  credential every 5 minutes); sixty leaves room for a few dozen behind one NAT. */
export const EDGE_LIMIT_CREDENTIALS_PER_MINUTE = 60;

export type EdgeLimitClass = "public" | "credentials";

/** Each class's binding and numbers; the numbers must equal the binding's `simple` block in
 *  wrangler.jsonc (test/edge-limit.test.ts counts the binding against them). */
export const EDGE_LIMITS = {
  public: { binding: "EDGE_LIMIT_PUBLIC", limit: EDGE_LIMIT_PUBLIC_PER_MINUTE },
  credentials: { binding: "EDGE_LIMIT_CREDENTIALS", limit: EDGE_LIMIT_CREDENTIALS_PER_MINUTE },
} as const satisfies Record<EdgeLimitClass, { binding: keyof Env; limit: number }>;

/** Set by Cloudflare on every request from the internet: the connecting client's address. */
export const CLIENT_IP_HEADER = "cf-connecting-ip";

type Spec = RouteDefinition["spec"];

/** The class a route's requests count against, or null when they are never edge-limited. */
export function edgeLimitClass(spec: Spec): EdgeLimitClass | null {
  if (spec.mintsCredentials) return "credentials";
  return spec.auth === "public" && spec.edgeLimitExempt === undefined ? "public" : null;
}

/** Throws the 429 when the client's address has spent its window for this route's class. */
export async function enforceEdgeLimit(c: AppContext, spec: Spec): Promise<void> {
  const kind = edgeLimitClass(spec);
  if (kind === null) return;
  const ip = c.req.header(CLIENT_IP_HEADER)?.trim();
  // No address: the request did not come through Cloudflare's edge (a service binding, the
  // tests' calls through the Worker's own exports). There is no client to key on; wrangler dev
  // sets the header from the socket, so local servers are limited like production.
  if (!ip) return;
  // The platform's backend signs its calls, from a few addresses, at its users' pace. A route
  // that admits it judges a signed request by the signature alone (one HMAC, no actor call): a
  // forged one is a 401 there, so waving signed requests past this counter buys nothing.
  if (admitsService(spec) && hasServiceSignature(c)) return;
  const { binding, limit } = EDGE_LIMITS[kind];
  if (await withinLimit(c.env[binding], clientKey(ip))) return;
  const window: RateWindow = {
    policy: `edge-${kind}`,
    limit,
    windowSeconds: EDGE_LIMIT_WINDOW_SECONDS,
    remaining: 0,
    // The binding says only yes or no, not when its window ends: a whole window is the most
    // a refused client may have to wait.
    resetSeconds: EDGE_LIMIT_WINDOW_SECONDS,
  };
  throw rateLimitExceeded(c, window);
}

function admitsService(spec: Spec): boolean {
  return spec.auth === "optional" || (Array.isArray(spec.auth) && spec.auth.includes("service"));
}

/** The binding's answer. If the limiter itself fails, the request goes on (and the failure is
 *  logged): a coarse abuse guard must not take the API down with it. */
async function withinLimit(limiter: RateLimit, key: string): Promise<boolean> {
  try {
    return (await limiter.limit({ key })).success;
  } catch (error) {
    console.error(
      JSON.stringify({ level: "error", event: "edge_limit_unavailable", error: String(error) }),
    );
    return true;
  }
}

/**
 * What one client is counted as: an IPv4 address as it is, an IPv6 address by its /64 (one
 * subscriber's network: a host picks any of its 2^64 addresses, so counting whole addresses
 * would give it 2^64 windows). An address that does not parse counts as itself.
 */
export function clientKey(ip: string): string {
  const address = ip.toLowerCase().replace(/%.*$/, "");
  if (!address.includes(":")) return address;
  const mappedV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mappedV4?.[1]) return mappedV4[1];
  const halves = address.split("::");
  if (halves.length > 2) return address;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return address;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}
