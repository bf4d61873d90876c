// User JWTs: HS256 with AUTH_JWT_SECRET in development, a JWKS with issuer and audience in
// production (DESIGN.md section 4). Algorithms are pinned so a token cannot pick its own.

import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import * as v from "valibot";
import type { JwtConfig } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import { EmailSchema, UserIdSchema } from "../../shared/ids.ts";
import { JWT_CLOCK_TOLERANCE_SECONDS } from "../../shared/limits.ts";
import type { UserPrincipal } from "../../shared/schemas/principal.ts";

const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

const ClaimsSchema = v.object({
  sub: UserIdSchema,
  email: v.optional(EmailSchema),
  role: v.optional(v.string()),
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
  if (config.kind === "jwks") {
    const { payload } = await jwtVerify(token, remoteKeySet(config.jwksUrl), {
      algorithms: ASYMMETRIC_ALGORITHMS,
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  }
  const { payload } = await jwtVerify(token, new TextEncoder().encode(config.secret), {
    algorithms: ["HS256"],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
  });
  return payload;
}

export async function verifyUserJwt(token: string, config: JwtConfig): Promise<UserPrincipal> {
  let payload: JWTPayload;
  try {
    payload = await verifyPayload(token, config);
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new ApiError("TOKEN_EXPIRED", "The JWT has expired; sign in again.");
    }
    if (error instanceof errors.JOSEError) {
      throw new ApiError("INVALID_TOKEN", `The JWT was rejected (${error.code}).`);
    }
    throw error;
  }
  const claims = v.safeParse(ClaimsSchema, payload);
  if (!claims.success) {
    const field = v.getDotPath(claims.issues[0]) ?? "claims";
    throw new ApiError("INVALID_TOKEN", `The JWT claim "${field}" is missing or invalid.`);
  }
  const { sub, email, role } = claims.output;
  return { type: "user", id: sub, email: email ?? null, admin: role === "admin" };
}
