// Creation tokens (`rct_`): derived, never stored. HMAC-SHA256 with TOKEN_SECRET over the
// creation id and a version counter the creation's actor keeps; bumping the version revokes
// every earlier token at once (seed 000, "creation-scoped token").

import { base64url, fromBase64url, hmacSha256, verifyHmacSha256 } from "./crypto.ts";

export const CREATION_TOKEN_PREFIX = "rct_";

const signedText = (creationId: string, version: number) => `rct.v1.${creationId}.${version}`;

export async function mintCreationToken(
  secret: string,
  creationId: string,
  version: number,
): Promise<string> {
  const tag = await hmacSha256(secret, signedText(creationId, version));
  return `${CREATION_TOKEN_PREFIX}${creationId}.${version}.${base64url(tag)}`;
}

/** Returns the creation and version a token was minted for, or null if it is not genuine. */
export async function readCreationToken(
  secret: string,
  token: string,
): Promise<{ creationId: string; version: number } | null> {
  if (!token.startsWith(CREATION_TOKEN_PREFIX)) return null;
  const [creationId, versionText, tagText, ...rest] = token
    .slice(CREATION_TOKEN_PREFIX.length)
    .split(".");
  if (!creationId || !versionText || !tagText || rest.length > 0) return null;
  if (!/^[1-9]\d{0,8}$/.test(versionText)) return null;
  const tag = fromBase64url(tagText);
  if (!tag) return null;
  const version = Number(versionText);
  const genuine = await verifyHmacSha256(secret, signedText(creationId, version), tag);
  return genuine ? { creationId, version } : null;
}

/** A webhook signing secret, shown to the owner once. */
export function newWebhookSecret(): string {
  return `whsec_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}
