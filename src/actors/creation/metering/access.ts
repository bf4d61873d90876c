// Who may meter a creation's end users, and in which mode. The creation's servers (its rct_
// token, its secret keys), its owner and the platform may act for any end user; an end user on
// the creation's page (its publishable key with the user's JWT, seed 003's frontend mode) only
// for themselves. Test keys meter test usage and live keys live usage, never crossing.

import * as v from "valibot";
import { ApiError } from "../../../shared/errors.ts";
import { KeyIdSchema } from "../../../shared/schemas/api-key.ts";
import {
  isKeyPrincipal,
  type Principal,
  PrincipalSchema,
} from "../../../shared/schemas/principal.ts";
import { type UsageMode, UsageModeSchema } from "../../../shared/schemas/usage.ts";
import { authorize, type Owned, type Role } from "../../access.ts";
import { requireLiveKey } from "../../creation-credentials.ts";

/** A metered call's caller, and the publishable key the router checked when a page sent one. */
export const MeterAccessSchema = v.object({
  caller: PrincipalSchema,
  publishable: v.nullable(v.object({ key_id: KeyIdSchema, mode: UsageModeSchema })),
});
export type MeterAccess = v.InferOutput<typeof MeterAccessSchema>;

/** The mode a call meters in: the key's own, or the one asked for (live by default). */
export function meterMode(
  input: MeterAccess,
  resource: Extract<Owned, { creationId: string }>,
  allowed: readonly Role[],
  endUser: string | null,
  requested: UsageMode | undefined,
): UsageMode {
  const access = v.parse(MeterAccessSchema, input);
  const { caller, publishable } = access;
  if (publishable && caller.type === "user") {
    // The router proved the key genuine a moment ago; whether it still stands is known here.
    const key = resource.credentials.key(publishable.key_id);
    requireLiveKey({ key_hash: key?.hash ?? "" }, key);
    if (endUser !== caller.id) {
      throw new ApiError(
        "FORBIDDEN",
        "With a publishable key a signed-in user meters only themselves; leave user_id out or name yourself.",
      );
    }
    return sameMode(publishable.mode, requested);
  }
  authorize(caller, resource, allowed);
  return keyMode(caller) === null
    ? (requested ?? "live")
    : sameMode(keyMode(caller) as UsageMode, requested);
}

function keyMode(caller: Principal): UsageMode | null {
  return caller.type === "creation" && isKeyPrincipal(caller) ? caller.mode : null;
}

function sameMode(mode: UsageMode, requested: UsageMode | undefined): UsageMode {
  if (requested !== undefined && requested !== mode) {
    throw new ApiError("KEY_MODE_MISMATCH", `A ${mode} key reads and writes ${mode} usage only.`, {
      mode,
    });
  }
  return mode;
}
