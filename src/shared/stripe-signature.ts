// Stripe-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=…]`. Several v1
// entries appear while Stripe rolls a secret; any one matching is enough.

import { clock } from "./clock.ts";
import { fromHex, verifyHmacSha256 } from "./crypto.ts";
import { STRIPE_SIGNATURE_TOLERANCE_SECONDS } from "./limits.ts";

export type StripeSignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

export async function verifyStripeSignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<StripeSignatureCheck> {
  if (!header) return { ok: false, reason: "missing" };
  const pairs = header.split(",").map((part) => part.trim().split("=", 2) as [string, string?]);
  const timestamp = pairs.find(([name]) => name === "t")?.[1];
  const signatures = pairs
    .filter(([name]) => name === "v1")
    .map(([, value]) => fromHex(value ?? ""));
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    return { ok: false, reason: "malformed" };
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > STRIPE_SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: "stale" };
  }
  for (const tag of signatures) {
    if (tag?.length === 32 && (await verifyHmacSha256(secret, `${timestamp}.${body}`, tag))) {
      return { ok: true };
    }
  }
  return { ok: false, reason: "mismatch" };
}
