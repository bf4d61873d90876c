// Signatures on the webhooks troupe sends to a creation's backend:
//   troupe-timestamp: <unix seconds>
//   troupe-signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook secret>
// The receiver recomputes it over the raw body and rejects timestamps outside its tolerance.

import { clock } from "./clock.ts";
import { fromHex, hmacSha256, toHex, verifyHmacSha256 } from "./crypto.ts";
import { SERVICE_SIGNATURE_TOLERANCE_SECONDS } from "./limits.ts";

const SCHEME = "v1=";

export async function signWebhook(
  secret: string,
  body: string,
  nowSeconds = Math.floor(clock.now() / 1000),
) {
  const timestamp = String(nowSeconds);
  const tag = await hmacSha256(secret, `${timestamp}.${body}`);
  return { timestamp, signature: `${SCHEME}${toHex(tag)}` };
}

/** For receivers (and tests): true when the headers sign exactly this body, recently. */
export async function verifyWebhook(
  secret: string,
  body: string,
  headers: { timestamp: string | null; signature: string | null },
  nowSeconds = Math.floor(clock.now() / 1000),
  toleranceSeconds = SERVICE_SIGNATURE_TOLERANCE_SECONDS,
): Promise<boolean> {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature?.startsWith(SCHEME)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const tag = fromHex(signature.slice(SCHEME.length));
  if (!tag) return false;
  return verifyHmacSha256(secret, `${timestamp}.${body}`, tag);
}
