// API keys at the edge. The tag signed into a key proves it was minted here before any actor is
// woken, and says the key's creation, kind, mode, scopes and expiry. Whether it still stands
// (not revoked, the same key) is the actor's to say: the route's actor when it knows the
// creation's keys (CreationDO, its wallet), otherwise the creation's actor, asked first — the
// same hops as an `rct_` token (auth/creation-token.ts).

import { actorByName } from "../../actors/refusal.ts";
import { keyPrefix, readApiKey } from "../../shared/api-keys.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { API_KEY_LAST_USED_RESOLUTION_MS, API_KEY_TOUCH_CACHE_MAX } from "../../shared/limits.ts";
import type { PublishableKeyInfo } from "../../shared/schemas/api-key.ts";
import type { CreationKeyPrincipal } from "../../shared/schemas/principal.ts";
import type { AppContext } from "../context.ts";
import type { CredentialCheck } from "./creation-token.ts";

/** Where a page sends its publishable key (seed 003). */
export const PUBLISHABLE_KEY_HEADER = "x-publishable-key";

async function readKey(env: Env, key: string, kind: "secret" | "publishable") {
  const claim = await readApiKey(env.TOKEN_SECRET, key);
  if (!claim || claim.kind !== kind) {
    throw new ApiError("INVALID_API_KEY", `The ${kind} key is not genuine.`);
  }
  if (claim.expiresAt !== null && claim.expiresAt <= clock.now()) {
    throw new ApiError("KEY_EXPIRED", "This API key has expired; create a new one.", {
      expired_at: new Date(claim.expiresAt).toISOString(),
    });
  }
  return claim;
}

export async function verifySecretKey(
  c: AppContext,
  key: string,
  check: CredentialCheck,
): Promise<CreationKeyPrincipal> {
  const claim = await readKey(c.env, key, "secret");
  const principal: CreationKeyPrincipal = {
    type: "creation",
    id: claim.creationId,
    key_id: claim.keyId,
    mode: claim.mode,
    scopes: claim.scopes,
    key_hash: claim.hash,
  };
  const creation = actorByName(c.env.CREATION, claim.creationId);
  if (check === "router") {
    await creation.useSecretKey(principal);
    lastTouched.set(claim.keyId, clock.now());
  } else if (touchDue(claim.keyId)) {
    // The route's actor checks the key; the listing's last_used_at need not hold the answer up.
    c.executionCtx.waitUntil(creation.touchKey(claim.keyId).catch(() => undefined));
  }
  return principal;
}

/** When this isolate last told a key's creation it was used: at most once a minute each. */
const lastTouched = new Map<string, number>();

function touchDue(keyId: string): boolean {
  const now = clock.now();
  const last = lastTouched.get(keyId);
  if (last !== undefined && now - last < API_KEY_LAST_USED_RESOLUTION_MS) return false;
  if (lastTouched.size >= API_KEY_TOUCH_CACHE_MAX) lastTouched.clear();
  lastTouched.set(keyId, now);
  return true;
}

/** The publishable key a route that takes one was sent, checked with the page's origin. */
export async function verifyPublishableKey(
  c: AppContext,
  key: string,
): Promise<PublishableKeyInfo> {
  if (keyPrefix(key)?.kind === "secret") {
    throw new ApiError(
      "INVALID_API_KEY",
      `${PUBLISHABLE_KEY_HEADER} takes a publishable key (pk_…); never send a secret key from a page: roll it now.`,
    );
  }
  const claim = await readKey(c.env, key, "publishable");
  return actorByName(c.env.CREATION, claim.creationId).usePublishableKey(
    claim.keyId,
    claim.hash,
    c.req.header("origin") ?? null,
  );
}
