// Service-to-service request signatures (the platform's backend calling troupe):
//   troupe-timestamp: <unix seconds>
//   troupe-signature: v1=<hex HMAC-SHA256 of "<timestamp>\n<METHOD>\n<path+query>\n<body>">
// The timestamp is inside the signed text, so a captured request cannot be replayed outside
// the tolerance window, unlike the body-only signatures of the seeds.

import { clock } from "./clock.ts";
import { fromHex, hmacSha256, toHex, verifyHmacSha256 } from "./crypto.ts";
import { SERVICE_SIGNATURE_TOLERANCE_SECONDS } from "./limits.ts";

export const TIMESTAMP_HEADER = "troupe-timestamp";
export const SIGNATURE_HEADER = "troupe-signature";
const SCHEME = "v1=";

/** The hex HMAC of a `troupe-signature` header ("v1=<hex>"), lower-cased. */
export function signatureHex(header: string): string {
  return header.slice(SCHEME.length).toLowerCase();
}
const HMAC_SHA256_BYTES = 32;

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/me?x=1`. */
  pathAndQuery: string;
  body: string;
}

export function signingText(timestamp: string, request: SignedRequest): string {
  return `${timestamp}\n${request.method.toUpperCase()}\n${request.pathAndQuery}\n${request.body}`;
}

export async function signRequest(
  secret: string,
  request: SignedRequest,
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<{ timestamp: string; signature: string }> {
  const timestamp = String(nowSeconds);
  const tag = await hmacSha256(secret, signingText(timestamp, request));
  return { timestamp, signature: `${SCHEME}${toHex(tag)}` };
}

export type SignatureCheck =
  | { ok: true; secretIndex: number }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "future" | "mismatch" };

/** Verifies against every active secret, so secrets can be rotated without downtime. */
export async function verifyRequestSignature(
  secrets: readonly string[],
  headers: { timestamp: string | null; signature: string | null },
  request: SignedRequest,
  nowSeconds = Math.floor(clock.now() / 1000),
): Promise<SignatureCheck> {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(timestamp) || !signature.startsWith(SCHEME)) {
    return { ok: false, reason: "malformed" };
  }
  const age = nowSeconds - Number(timestamp);
  if (age > SERVICE_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "stale" };
  if (age < -SERVICE_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "future" };
  const tag = fromHex(signature.slice(SCHEME.length));
  if (tag?.length !== HMAC_SHA256_BYTES) return { ok: false, reason: "malformed" };
  const text = signingText(timestamp, request);
  for (const [secretIndex, secret] of secrets.entries()) {
    if (await verifyHmacSha256(secret, text, tag)) return { ok: true, secretIndex };
  }
  return { ok: false, reason: "mismatch" };
}
