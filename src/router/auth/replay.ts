// Replayed service requests. A service signature proves who sent a request and that it is
// recent, but a captured request could be sent again verbatim inside the tolerance window.
// So a signed request that changes something is accepted once: its signature is recorded
// (ReplayGuardDO) and a second arrival is 401 SIGNATURE_REPLAYED. The one exception is a route
// that is idempotent on a key the signed body carries (`reference_id`): there a repeat gets the
// stored answer and cannot repeat the effect, which is what a client retrying a timed-out call
// needs. A key in the Idempotency-Key header does not count: the signature does not cover it.

import { actorByName } from "../../actors/refusal.ts";
import { replayGuardShard } from "../../actors/replay-guard-do.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { isJsonObject } from "../../shared/json.ts";
import {
  LEGACY_SIGNATURE_MEMORY_SECONDS,
  SERVICE_SIGNATURE_TOLERANCE_SECONDS,
} from "../../shared/limits.ts";
import { ownValue } from "../../shared/object-keys.ts";
import {
  SIGNATURE_HEADER,
  signatureHex,
  TIMESTAMP_HEADER,
} from "../../shared/service-signature.ts";
import type { AppContext } from "../context.ts";
import { idempotencyKey } from "../idempotency.ts";
import type { RouteDefinition } from "../route.ts";
import { LEGACY_SIGNATURE_HEADER } from "./service.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The signature (hex) and until when it could be accepted again (ms). */
function usedSignature(c: AppContext): { signature: string; expiresAtMs: number } | null {
  const signed = c.req.header(SIGNATURE_HEADER);
  if (signed) {
    const timestamp = Number(c.req.header(TIMESTAMP_HEADER));
    return {
      signature: signatureHex(signed),
      expiresAtMs: (timestamp + SERVICE_SIGNATURE_TOLERANCE_SECONDS + 1) * 1000,
    };
  }
  const legacy = c.req.header(LEGACY_SIGNATURE_HEADER);
  // Seed 001's signature never expires; it is remembered for a week, which narrows the hole
  // LEGACY_BODY_SIGNATURE opens but cannot close it.
  return legacy
    ? {
        signature: legacy.toLowerCase(),
        expiresAtMs: clock.now() + LEGACY_SIGNATURE_MEMORY_SECONDS * 1000,
      }
    : null;
}

/** The idempotency key the signature covers: the body's `reference_id` (checked against an
 * Idempotency-Key header when both are sent). */
function signedKeyOf(c: AppContext, body: unknown): string | undefined {
  const reference = isJsonObject(body) ? ownValue(body, "reference_id") : undefined;
  if (typeof reference !== "string") return undefined;
  return idempotencyKey(c, { reference_id: reference });
}

/** Lets a verified service request through once; call just before the handler runs. */
export async function refuseReplays(
  c: AppContext,
  spec: RouteDefinition["spec"],
  body: unknown,
): Promise<void> {
  if (SAFE_METHODS.has(c.req.method)) return;
  // Only a key inside the signed body exempts a copy: Idempotency-Key is a header the signature
  // does not cover, so a captured request re-sent under a new header key would apply again.
  if (spec.idempotent && signedKeyOf(c, body) !== undefined) return;
  const used = usedSignature(c);
  if (!used) return;
  const guard = actorByName(c.env.REPLAY_GUARD, replayGuardShard(used.signature));
  const firstTime = await guard.claim({
    signature: used.signature,
    expires_at_ms: used.expiresAtMs,
  });
  if (!firstTime) {
    throw new ApiError(
      "SIGNATURE_REPLAYED",
      "This exact signed request was already received. Sign every request anew; to retry safely, put a reference_id in the body on a route that takes one.",
    );
  }
}
