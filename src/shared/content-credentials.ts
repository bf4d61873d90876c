// Content credentials (`rcc_`, seed 000): a short-lived proof, for one creation's backend, that
// a signed-in user of the platform is on its page. The page fetches one and sends it to its own
// Worker, which checks it with POST /v1/auth/validate. HMAC-SHA256 under a key bound to this use
// of TOKEN_SECRET, over the creation, the user, the role and the expiry: nothing to store.

import { base64url, fromBase64url, hmacSha256, timingSafeEqual } from "./crypto.ts";

export const CONTENT_CREDENTIAL_PREFIX = "rcc_";
const CONTEXT = "rcc.v1.";
const decoder = new TextDecoder();

export type ContentRole = "owner" | "user";

export interface ContentClaim {
  creationId: string;
  userId: string;
  role: ContentRole;
  /** Unix seconds. */
  expiresAt: number;
}

export async function mintContentCredential(secret: string, claim: ContentClaim): Promise<string> {
  const payload = base64url(
    new TextEncoder().encode(
      JSON.stringify({ c: claim.creationId, u: claim.userId, r: claim.role, e: claim.expiresAt }),
    ),
  );
  const tag = await hmacSha256(secret, CONTEXT + payload);
  return `${CONTENT_CREDENTIAL_PREFIX}${payload}.${base64url(tag)}`;
}

/** The claim of a genuine credential (expired or not: the caller says which), else null. */
export async function readContentCredential(
  secret: string,
  credential: string,
): Promise<ContentClaim | null> {
  if (!credential.startsWith(CONTENT_CREDENTIAL_PREFIX)) return null;
  const [payload, tagText, ...rest] = credential.slice(CONTENT_CREDENTIAL_PREFIX.length).split(".");
  if (!payload || !tagText || rest.length > 0) return null;
  const tag = fromBase64url(tagText);
  const expected = await hmacSha256(secret, CONTEXT + payload);
  if (!tag || !timingSafeEqual(tag, expected)) return null;
  const bytes = fromBase64url(payload);
  if (!bytes) return null;
  const { c, u, r, e } = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
  if (typeof c !== "string" || typeof u !== "string" || typeof e !== "number") return null;
  if (r !== "owner" && r !== "user") return null;
  return { creationId: c, userId: u, role: r, expiresAt: e };
}
