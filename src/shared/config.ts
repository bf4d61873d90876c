// Reads the Worker's vars and secrets into typed settings, failing with a clear code when a
// deployment forgot one instead of letting auth silently accept or reject everything.

import { ApiError } from "./errors.ts";

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function corsOrigins(env: Env): "*" | string[] {
  const origins = list(env.CORS_ORIGINS);
  return origins.includes("*") ? "*" : origins;
}

/** Newest first: the first secret signs, every listed one verifies (rotation). */
export function serviceSecrets(env: Env): string[] {
  return list(env.SERVICE_SECRETS);
}

export type JwtConfig =
  | { kind: "jwks"; jwksUrl: string; issuer: string; audience: string }
  | { kind: "secret"; secret: string; issuer: string | null; audience: string | null };

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

export interface BillingPackage {
  name: string;
  minutes: number;
}

/** Seed 001's purchasable packages, smallest first. */
export function billingPackages(env: Env): BillingPackage[] {
  try {
    const parsed = JSON.parse(env.BILLING_PACKAGES ?? "[]") as BillingPackage[];
    if (
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every((item) => typeof item?.name === "string" && Number.isInteger(item?.minutes))
    ) {
      return [...parsed].sort((a, b) => a.minutes - b.minutes);
    }
  } catch {
    // falls through to the error below
  }
  throw new ApiError("SERVER_MISCONFIGURED", 'BILLING_PACKAGES must be [{"name","minutes"}, …]');
}

/** Subdomains each plan may own (seed 004's PLAN_QUOTAS); a plan not listed gets `fallback`. */
export function planQuotas(env: Env): { quotas: Record<string, number>; fallback: number | null } {
  let quotas: Record<string, number>;
  try {
    quotas = JSON.parse(env.PLAN_QUOTAS || "{}");
  } catch {
    throw new ApiError("SERVER_MISCONFIGURED", 'PLAN_QUOTAS must be JSON like {"starter":3}');
  }
  if (
    typeof quotas !== "object" ||
    quotas === null ||
    !Object.values(quotas).every((limit) => Number.isInteger(limit) && limit >= 0)
  ) {
    throw new ApiError("SERVER_MISCONFIGURED", "PLAN_QUOTAS values must be whole numbers");
  }
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
