import { serviceSecrets } from "../../shared/config.ts";
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
