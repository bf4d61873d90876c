// `rat_` user access tokens: a user lets one creation act for them for 30 minutes (seed 000).
// The token is an encrypted JWT (JWE, dir + A256GCM, jose) under a key derived from TOKEN_SECRET,
// so it proves itself without a lookup and shows the creation holding it nothing inside.

import { EncryptJWT, errors, type JWTPayload, jwtDecrypt } from "jose";
import { clock } from "./clock.ts";
import { base64url, hmacSha256 } from "./crypto.ts";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  BUYER_HANDLE_BYTES,
  ENTITLEMENT_TOKEN_TTL_SECONDS,
} from "./limits.ts";

export const ACCESS_TOKEN_PREFIX = "rat_";
const KEY_CONTEXT = "rat.v2:";
const encoder = new TextEncoder();

/** Two kinds share the prefix (seed 000 uses `rat_` for both): a budget token lets a creation
 *  spend for the user; an entitlement token proves to a creation that its holder bought `sku`,
 *  without saying who. Each is refused where the other is expected (ACCESS_TOKEN_WRONG_KIND). */
export type AccessClaim =
  | { kind: "budget"; userId: string; creationId: string; expiresAt: number }
  | {
      kind: "entitlement";
      userId: string;
      creationId: string;
      /** Unix seconds. */
      expiresAt: number;
      sku: string;
      /** The entitlement's id in the buyer's wallet. */
      entitlementId: string;
    };

/** 256 bits for A256GCM, derived from the secret and bound to this use of it. */
async function sealingKey(secret: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(KEY_CONTEXT + secret)),
  );
}

export async function mintAccessToken(
  secret: string,
  userId: string,
  creationId: string,
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = nowSeconds + ACCESS_TOKEN_TTL_SECONDS;
  const jwe = await new EncryptJWT({ creation_id: creationId })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setSubject(userId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expiresAt)
    .encrypt(await sealingKey(secret));
  return { token: `${ACCESS_TOKEN_PREFIX}${jwe}`, expiresAt };
}

/** An entitlement's token: its holder bought `sku` from `creationId` (ENTITLEMENT_TOKEN_TTL). */
export async function mintEntitlementToken(
  secret: string,
  grant: { userId: string; creationId: string; sku: string; entitlementId: string },
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = nowSeconds + ENTITLEMENT_TOKEN_TTL_SECONDS;
  const jwe = await new EncryptJWT({
    kind: "entitlement",
    creation_id: grant.creationId,
    sku: grant.sku,
    ent: grant.entitlementId,
  })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setSubject(grant.userId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expiresAt)
    .encrypt(await sealingKey(secret));
  return { token: `${ACCESS_TOKEN_PREFIX}${jwe}`, expiresAt };
}

function claimOf(payload: JWTPayload): AccessClaim | null {
  const { sub, creation_id, exp, kind, sku, ent } = payload;
  if (typeof sub !== "string" || typeof creation_id !== "string" || typeof exp !== "number") {
    return null;
  }
  const base = { userId: sub, creationId: creation_id, expiresAt: exp };
  // Budget tokens minted before the entitlement kind existed carry no kind.
  if (kind === undefined) return { kind: "budget", ...base };
  if (kind !== "entitlement" || typeof sku !== "string" || typeof ent !== "string") return null;
  return { kind: "entitlement", ...base, sku, entitlementId: ent };
}

/** The claim sealed in a token, or null when it was not minted with this secret. Expiry is
 * the caller's to judge, so it can say "expired" rather than "not genuine". */
export async function readAccessToken(secret: string, token: string): Promise<AccessClaim | null> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return null;
  const jwe = token.slice(ACCESS_TOKEN_PREFIX.length);
  try {
    const { payload } = await jwtDecrypt(jwe, await sealingKey(secret), {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
      currentDate: new Date(clock.now()),
    });
    return claimOf(payload);
  } catch (error) {
    // Decrypted and authentic, only past its time: the caller says "expired".
    if (error instanceof errors.JWTExpired) return claimOf(error.payload);
    return null;
  }
}

/**
 * What a creation calls the holder of an entitlement token: stable for one buyer and one
 * creation (a Durable Object key for per-buyer state, seed 000), different at every other
 * creation, and not the user id. An HMAC of both under TOKEN_SECRET.
 */
export async function buyerHandle(secret: string, creationId: string, userId: string) {
  const tag = await hmacSha256(secret, `buyer.v1:${creationId}:${userId}`);
  return `buyer_${base64url(tag.slice(0, BUYER_HANDLE_BYTES))}`;
}
