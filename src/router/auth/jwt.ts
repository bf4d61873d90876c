// User JWTs: HS256 with AUTH_JWT_SECRET in development, a JWKS with issuer and audience in
// production. Algorithms are pinned so a token cannot pick its own.

import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import type { JwtConfig, SecretJwtConfig } from "../../shared/config.ts";
import { importHmacKey } from "../../shared/crypto.ts";
import { ApiError } from "../../shared/errors.ts";
import { EmailSchema, UserIdSchema } from "../../shared/ids.ts";
import { JWT_CLOCK_TOLERANCE_SECONDS, JWT_MAX_LIFETIME_SECONDS } from "../../shared/limits.ts";
import { AgentIdSchema, AgentSchema, type UserPrincipal } from "../../shared/schemas/principal.ts";

const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

const ClaimsSchema = v.object({
  sub: UserIdSchema,
  email: v.optional(EmailSchema),
  /** Some issuers send the string "true" (Cognito); anything else is not verified. */
  email_verified: v.optional(v.unknown()),
  role: v.optional(v.string()),
  /** Present when an agent acts for the user `sub` (seed 000): `owner/name`. */
  agent_id: v.optional(AgentIdSchema),
  /** The agent's display name; read only with agent_id, and only when it is usable text. */
  name: v.optional(v.unknown()),
});

// One key set per URL per isolate: jose caches the fetched keys and refetches on unknown kid.
const remoteKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function remoteKeySet(url: string) {
  let keySet = remoteKeySets.get(url);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(url));
    remoteKeySets.set(url, keySet);
  }
  return keySet;
}

async function verifyPayload(token: string, config: JwtConfig): Promise<JWTPayload> {
  // The same in both modes: a token must expire, and time is the troupe clock's.
  const common = {
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp"],
    currentDate: new Date(clock.now()),
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const { payload } =
    config.kind === "jwks"
      ? await jwtVerify(token, remoteKeySet(config.jwksUrl), {
          ...common,
          algorithms: ASYMMETRIC_ALGORITHMS,
        })
      : // The imported key is cached per secret (crypto.ts): jose would import it per call.
        await jwtVerify(token, await importHmacKey(config.secret), {
          ...common,
          algorithms: ["HS256"],
        });
  return payload;
}

/** Plain words for a claim jose found missing or wrong. */
const CLAIM_DETAIL: Record<string, string> = {
  exp: "The JWT has no expiry: it must carry an exp claim.",
  iss: "The JWT was issued by another issuer than this server accepts.",
  aud: "The JWT was issued for another audience than this server.",
  nbf: "The JWT is not valid yet (nbf is in the future).",
  iat: "The JWT's iat claim is not a valid time.",
};

/** What went wrong with a token, in words a client developer can act on (never jose's codes). */
function rejection(error: errors.JOSEError): ApiError {
  if (error instanceof errors.JWTExpired) {
    return new ApiError("TOKEN_EXPIRED", "The JWT has expired; sign in again.");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new ApiError(
      "INVALID_TOKEN",
      (Object.hasOwn(CLAIM_DETAIL, error.claim) ? CLAIM_DETAIL[error.claim] : undefined) ??
        `The JWT's ${error.claim} claim is missing or invalid.`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new ApiError("INVALID_TOKEN", "The JWT's signature does not match.");
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new ApiError(
      "INVALID_TOKEN",
      "The JWT is signed with an algorithm this server does not accept.",
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new ApiError("INVALID_TOKEN", "No key of the issuer's key set matches the JWT.");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new ApiError("INVALID_TOKEN", "The bearer token is not a well-formed JWT.");
  }
  return new ApiError("INVALID_TOKEN", "The JWT could not be verified.");
}

export async function verifyUserJwt(token: string, config: JwtConfig): Promise<UserPrincipal> {
  let payload: JWTPayload;
  try {
    payload = await verifyPayload(token, config);
  } catch (error) {
    if (error instanceof errors.JOSEError) throw rejection(error);
    throw error;
  }
  // Lifetime from when it was issued, or from now: an iat set in the future must not stretch a
  // token's life past the limit (iat one year ahead, exp an hour after that).
  const nowSeconds = clock.now() / 1000;
  const issuedAt = typeof payload.iat === "number" ? Math.min(payload.iat, nowSeconds) : nowSeconds;
  if (typeof payload.exp === "number" && payload.exp - issuedAt > JWT_MAX_LIFETIME_SECONDS) {
    throw new ApiError(
      "INVALID_TOKEN",
      `The JWT lives longer than ${JWT_MAX_LIFETIME_SECONDS} seconds; issue shorter-lived tokens.`,
      { max_lifetime_seconds: JWT_MAX_LIFETIME_SECONDS },
    );
  }
  const claims = v.safeParse(ClaimsSchema, payload);
  if (!claims.success) {
    const field = v.getDotPath(claims.issues[0]) ?? "claims";
    throw new ApiError("INVALID_TOKEN", `The JWT claim "${field}" is missing or invalid.`);
  }
  const { sub, email, email_verified, role, agent_id, name } = claims.output;
  return {
    type: "user",
    id: sub,
    email: email ?? null,
    admin: role === "admin",
    ...(email_verified === undefined
      ? {}
      : { email_verified: email_verified === true || email_verified === "true" }),
    ...(agent_id === undefined ? {} : { agent: { id: agent_id, name: agentName(name) } }),
  };
}

/** A display name as given, when it is one line of reasonable length; otherwise none. */
function agentName(name: unknown): string | null {
  return typeof name === "string" && name.length > 0 && v.is(AgentSchema.entries.name, name)
    ? name
    : null;
}

/** An HS256 user JWT that verifyUserJwt accepts under `config` (development sign-in). */
export async function mintUserJwt(
  config: SecretJwtConfig,
  claims: { sub: string; email?: string | undefined },
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(clock.now() / 1000);
  const expiresAt = now + ttlSeconds;
  const jwt = new SignJWT(claims.email ? { email: claims.email } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt);
  if (config.issuer) jwt.setIssuer(config.issuer);
  if (config.audience) jwt.setAudience(config.audience);
  return { token: await jwt.sign(new TextEncoder().encode(config.secret)), expiresAt };
}
