// Whether a creation's own credential is still good: its `rct_` token (the version must be
// current) or one of its secret keys (known, the same key, not revoked, not expired). The edge
// proved the credential was minted here; only an actor that knows the creation's current state
// can say it still stands. That is the creation's actor, or its wallet, which keeps a copy the
// creation updates before any rotation or revocation answers (docs/architecture.md).

import * as v from "valibot";
import { clock } from "../shared/clock.ts";
import { timingSafeEqualText } from "../shared/crypto.ts";
import { ApiError } from "../shared/errors.ts";
import {
  type CreationKeyPrincipal,
  type CreationPrincipal,
  isKeyPrincipal,
} from "../shared/schemas/principal.ts";
import { requireCurrentToken } from "./creation-token-version.ts";

const InstantSchema = v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)));

/** What the actor holding a creation's key knows of it. Times are Unix ms. */
export const KeyStateSchema = v.object({
  hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  expires_at: InstantSchema,
  /** When the key stops working: at once on revocation, at the grace's end after a roll. */
  revoke_at: InstantSchema,
});

export type KeyState = v.InferOutput<typeof KeyStateSchema>;

/** What an actor knows to judge its creation's credentials. */
export interface CreationCredentials {
  /** The current token version; null when this actor has not learned it, which is a bug if
   *  the creation's token calls (its wallet learns it first: wallet/token-version.ts). */
  tokenVersion: number | null;
  /** The state of one of the creation's keys, or null when no such key exists. */
  key(keyId: string): KeyState | null;
}

export function requireCurrentCredential(
  caller: CreationPrincipal,
  credentials: CreationCredentials,
): void {
  if (isKeyPrincipal(caller)) {
    requireLiveKey(caller, credentials.key(caller.key_id));
    return;
  }
  if (credentials.tokenVersion === null) {
    throw new Error("The creation's token version must be learned before its token is checked.");
  }
  requireCurrentToken(caller, credentials.tokenVersion);
}

/** Refuses a key this creation never issued (or not this one: the hash differs), a revoked
 *  key (KEY_REVOKED, also once a roll's grace has ended) and an expired one (KEY_EXPIRED). */
export function requireLiveKey(
  caller: Pick<CreationKeyPrincipal, "key_hash">,
  state: KeyState | null,
  now = clock.now(),
): void {
  if (!state || !timingSafeEqualText(state.hash, caller.key_hash)) {
    throw new ApiError("INVALID_API_KEY", "The API key is not one this creation issued.");
  }
  if (state.revoke_at !== null && state.revoke_at <= now) {
    throw new ApiError("KEY_REVOKED", "This API key was revoked; use a current key.", {
      revoked_at: new Date(state.revoke_at).toISOString(),
    });
  }
  if (state.expires_at !== null && state.expires_at <= now) {
    throw new ApiError("KEY_EXPIRED", "This API key has expired; create a new one.", {
      expired_at: new Date(state.expires_at).toISOString(),
    });
  }
}
