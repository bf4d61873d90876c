// `rat_` user access tokens: a user lets one creation act for them for 30 minutes (seed 000).
// The token is sealed with AES-GCM under a key derived from TOKEN_SECRET, so it proves itself
// without a lookup and shows the creation holding it nothing about the user inside.

import { clock } from "./clock.ts";
import { base64url, fromBase64url } from "./crypto.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "./limits.ts";

export const ACCESS_TOKEN_PREFIX = "rat_";
const IV_BYTES = 12;
const encoder = new TextEncoder();

export interface AccessClaim {
  userId: string;
  creationId: string;
  /** Unix seconds. */
  expiresAt: number;
}

async function sealingKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest("SHA-256", encoder.encode(`rat.v1:${secret}`));
  return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function mintAccessToken(
  secret: string,
  userId: string,
  creationId: string,
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = nowSeconds + ACCESS_TOKEN_TTL_SECONDS;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plain = encoder.encode(JSON.stringify({ u: userId, c: creationId, e: expiresAt }));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealingKey(secret), plain),
  );
  const bytes = new Uint8Array(IV_BYTES + sealed.length);
  bytes.set(iv);
  bytes.set(sealed, IV_BYTES);
  return { token: `${ACCESS_TOKEN_PREFIX}${base64url(bytes)}`, expiresAt };
}

/** The claim sealed in a token, or null when it was not minted with this secret. Expiry is
 * the caller's to judge, so it can say "expired" rather than "not genuine". */
export async function readAccessToken(secret: string, token: string): Promise<AccessClaim | null> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return null;
  const bytes = fromBase64url(token.slice(ACCESS_TOKEN_PREFIX.length));
  if (!bytes || bytes.length <= IV_BYTES) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES) },
      await sealingKey(secret),
      bytes.slice(IV_BYTES),
    );
    const { u, c, e } = JSON.parse(new TextDecoder().decode(plain));
    if (typeof u !== "string" || typeof c !== "string" || typeof e !== "number") return null;
    return { userId: u, creationId: c, expiresAt: e };
  } catch {
    return null;
  }
}
