import { serviceSecrets } from "../../shared/config.ts";
import { fromHex, verifyHmacSha256 } from "../../shared/crypto.ts";
import { ApiError } from "../../shared/errors.ts";
import type { ServicePrincipal } from "../../shared/schemas/principal.ts";
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyRequestSignature,
} from "../../shared/service-signature.ts";
import type { AppContext } from "../context.ts";

const REASON_DETAIL = {
  missing: `Send both ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}.`,
  malformed: `${TIMESTAMP_HEADER} must be unix seconds and ${SIGNATURE_HEADER} "v1=<64 hex>".`,
  stale: `${TIMESTAMP_HEADER} is too old; sign each request when it is sent.`,
  future: `${TIMESTAMP_HEADER} is in the future; check the signer's clock.`,
  mismatch: "The signature does not match the request under any active secret.",
} as const;

export function hasServiceSignature(c: AppContext): boolean {
  return (
    c.req.header(TIMESTAMP_HEADER) !== undefined || c.req.header(SIGNATURE_HEADER) !== undefined
  );
}

export async function verifyServiceCall(c: AppContext): Promise<ServicePrincipal> {
  const url = new URL(c.req.url);
  // Body size is already bounded by the body-limit middleware; Hono caches the text so the
  // route can still parse it as JSON.
  const body = c.req.raw.body ? await c.req.text() : "";
  const check = await verifyRequestSignature(
    serviceSecrets(c.env),
    {
      timestamp: c.req.header(TIMESTAMP_HEADER) ?? null,
      signature: c.req.header(SIGNATURE_HEADER) ?? null,
    },
    { method: c.req.method, pathAndQuery: url.pathname + url.search, body },
  );
  if (!check.ok) throw new ApiError("INVALID_SIGNATURE", REASON_DETAIL[check.reason]);
  return { type: "service", id: "platform", secret_index: check.secretIndex };
}

export const LEGACY_SIGNATURE_HEADER = "x-sheen-signature";

/**
 * Seed 001's signature: hex HMAC-SHA256 of body + path with a shared secret. Nothing in it
 * expires, so a captured request can be replayed forever; it is accepted only while
 * LEGACY_BODY_SIGNATURE is "true", for clients not yet moved to troupe-signature.
 */
export async function verifyLegacyCall(c: AppContext): Promise<ServicePrincipal> {
  if (c.env.LEGACY_BODY_SIGNATURE !== "true") {
    throw new ApiError(
      "INVALID_SIGNATURE",
      `${LEGACY_SIGNATURE_HEADER} is disabled; sign with ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}.`,
    );
  }
  const tag = fromHex(c.req.header(LEGACY_SIGNATURE_HEADER) ?? "");
  const body = c.req.raw.body ? await c.req.text() : "";
  const text = body + new URL(c.req.url).pathname;
  if (tag?.length === 32) {
    for (const [secretIndex, secret] of serviceSecrets(c.env).entries()) {
      if (await verifyHmacSha256(secret, text, tag)) {
        return { type: "service", id: "platform", secret_index: secretIndex };
      }
    }
  }
  throw new ApiError("INVALID_SIGNATURE", REASON_DETAIL.mismatch);
}
