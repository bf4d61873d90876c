// Reads the Worker's vars and secrets into typed settings, failing with a clear code when a
// deployment forgot one instead of letting auth silently accept or reject everything.

import * as v from "valibot";
import { ApiError } from "./errors.ts";
import { USAGE_RATE_LIMIT_PER_MINUTE_DEFAULT, USAGE_RATE_LIMIT_PER_MINUTE_MAX } from "./limits.ts";

/** A Worker has a handful of list vars; tests that vary them stay well under this. */
const CONFIG_LISTS_CACHE_MAX = 64;

/** Parsed lists by their text: vars are read on every request and change only on deploy. */
const lists = new Map<string, readonly string[]>();

function list(value: string | undefined): string[] {
  const text = value ?? "";
  let items = lists.get(text);
  if (!items) {
    items = Object.freeze(
      text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );
    if (lists.size < CONFIG_LISTS_CACHE_MAX) lists.set(text, items);
  }
  return [...items];
}

export function corsOrigins(env: Env): "*" | string[] {
  const origins = list(env.CORS_ORIGINS);
  return origins.includes("*") ? "*" : origins;
}

/** Newest first: the first secret signs, every listed one verifies (rotation). */
export function serviceSecrets(env: Env): string[] {
  return list(env.SERVICE_SECRETS);
}

export type SecretJwtConfig = {
  kind: "secret";
  secret: string;
  issuer: string | null;
  audience: string | null;
};
export type JwtConfig =
  | { kind: "jwks"; jwksUrl: string; issuer: string; audience: string }
  | SecretJwtConfig;

export function jwtConfig(env: Env): JwtConfig {
  const issuer = env.AUTH_JWT_ISSUER?.trim() || null;
  const audience = env.AUTH_JWT_AUDIENCE?.trim() || null;
  const jwksUrl = env.AUTH_JWKS_URL?.trim();
  if (jwksUrl) {
    // Any issuer's keys could be listed at a JWKS URL; without issuer and audience a token
    // minted for another application would be accepted.
    if (!issuer || !audience) {
      throw new ApiError(
        "SERVER_MISCONFIGURED",
        "AUTH_JWKS_URL needs AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE",
      );
    }
    return { kind: "jwks", jwksUrl, issuer, audience };
  }
  const secret = env.AUTH_JWT_SECRET;
  if (!secret) {
    throw new ApiError("SERVER_MISCONFIGURED", "set AUTH_JWT_SECRET or AUTH_JWKS_URL");
  }
  return { kind: "secret", secret, issuer, audience };
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new ApiError("SERVER_MISCONFIGURED", `${name} must be a whole number`);
  }
  return Number(value.trim());
}

/** Credits a new user wallet starts with, and the gift it gets every UTC day (0 = none).
 *  Seed 001's defaults: a 50-minute welcome bonus and 15 minutes a day, in seconds. */
export function walletGrants(env: Env): { welcome: number; daily: number } {
  return {
    welcome: wholeNumber("USER_WELCOME_GRANT", env.USER_WELCOME_GRANT, 3000),
    daily: wholeNumber("USER_DAILY_GIFT", env.USER_DAILY_GIFT, 900),
  };
}

/** Requests an end user may make to a creation's metered routes per UTC minute, unless their
 *  tier says otherwise (seed 002's 100). */
export function rateLimitPerMinute(env: Env): number {
  const limit = wholeNumber(
    "RATE_LIMIT_PER_MINUTE",
    env.RATE_LIMIT_PER_MINUTE,
    USAGE_RATE_LIMIT_PER_MINUTE_DEFAULT,
  );
  if (limit < 1 || limit > USAGE_RATE_LIMIT_PER_MINUTE_MAX) {
    throw new ApiError(
      "SERVER_MISCONFIGURED",
      `RATE_LIMIT_PER_MINUTE must be 1 to ${USAGE_RATE_LIMIT_PER_MINUTE_MAX}`,
    );
  }
  return limit;
}

/** A JSON var parsed and checked with its schema, or SERVER_MISCONFIGURED saying what is wrong. */
function jsonVar<S extends v.GenericSchema>(
  name: string,
  value: string | undefined,
  fallback: string,
  schema: S,
  example: string,
): v.InferOutput<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value?.trim() || fallback);
  } catch {
    throw new ApiError("SERVER_MISCONFIGURED", `${name} is not JSON; it looks like ${example}`);
  }
  const result = v.safeParse(schema, parsed);
  if (result.success) return result.output;
  const [issue] = result.issues;
  const where = v.getDotPath(issue) ?? "";
  throw new ApiError(
    "SERVER_MISCONFIGURED",
    `${name}${where ? ` ${where}` : ""}: ${issue.message}; it looks like ${example}`,
  );
}

const BillingPackagesSchema = v.pipe(
  v.array(
    v.object({
      name: v.pipe(v.string(), v.minLength(1)),
      minutes: v.pipe(v.number(), v.integer()),
    }),
  ),
  v.minLength(1, "must list at least one package"),
);
export type BillingPackage = v.InferOutput<typeof BillingPackagesSchema>[number];

/** Seed 001's purchasable packages, smallest first. */
export function billingPackages(env: Env): BillingPackage[] {
  const packages = jsonVar(
    "BILLING_PACKAGES",
    env.BILLING_PACKAGES,
    "[]",
    BillingPackagesSchema,
    '[{"name":"mini","minutes":5}]',
  );
  return [...packages].sort((a, b) => a.minutes - b.minutes);
}

// A plan slug is a key a deployment chooses; prototype keys could not be looked up safely.
const PlanQuotasSchema = v.pipe(
  v.record(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9_.-]{1,64}$/, "plan slugs are 1-64 of A-Z, a-z, 0-9, _ . -"),
    ),
    v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(0, "must not be negative")),
  ),
);

/** Subdomains each plan may own (seed 004's PLAN_QUOTAS); a plan not listed gets `fallback`. */
export function planQuotas(env: Env): { quotas: Record<string, number>; fallback: number | null } {
  const quotas = jsonVar("PLAN_QUOTAS", env.PLAN_QUOTAS, "{}", PlanQuotasSchema, '{"starter":3}');
  const fallback = env.PLAN_QUOTA_DEFAULT?.trim()
    ? wholeNumber("PLAN_QUOTA_DEFAULT", env.PLAN_QUOTA_DEFAULT, 0)
    : null;
  return { quotas, fallback };
}

/** The most subdomains a plan may own; null = unlimited (an unknown plan, as in seed 004). */
export function quotaForPlan(env: Env, plan: string | null): number | null {
  const { quotas, fallback } = planQuotas(env);
  return plan !== null && Object.hasOwn(quotas, plan) ? (quotas[plan] ?? null) : fallback;
}

/** Names nobody may claim unless an admin lifts the reservation for that name. */
export function reservedSubdomains(env: Env): Set<string> {
  return new Set(list(env.RESERVED_SUBDOMAINS).map((name) => name.toLowerCase()));
}

/** An admin's reservation of one name: 1 reserved, 0 lifted, null = RESERVED_SUBDOMAINS decides. */
export interface ReservationOverride {
  name: string;
  reserved: number | null;
}

/** Whether one name is reserved: the admin's override wins over the default list. */
export function isReservedName(env: Env, { name, reserved }: ReservationOverride): boolean {
  return reserved === null ? reservedSubdomains(env).has(name) : reserved === 1;
}

/** Every reserved name, sorted: the default list with the admins' overrides applied. */
export function reservedNames(env: Env, overrides: readonly ReservationOverride[]): string[] {
  const reserved = reservedSubdomains(env);
  for (const { name, reserved: flag } of overrides) {
    if (flag === 1) reserved.add(name);
    if (flag === 0) reserved.delete(name);
  }
  return [...reserved].sort();
}
