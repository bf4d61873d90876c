// Content credentials at the edge (seed 000, "Level 2: token-verified"): issued to a signed-in
// user (or by the platform for one) for one creation, and checked by that creation's backend
// with its own rct_ token or secret key. Nothing is stored: the HMAC is the proof.

import { requireSameCreation } from "../../actors/access.ts";
import { actorByName } from "../../actors/refusal.ts";
import { clock } from "../../shared/clock.ts";
import {
  type ContentRole,
  mintContentCredential,
  readContentCredential,
} from "../../shared/content-credentials.ts";
import { ApiError } from "../../shared/errors.ts";
import { CONTENT_CREDENTIAL_TTL_SECONDS } from "../../shared/limits.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { AppContext } from "../context.ts";
import { authenticate, authenticateBackendKey } from "./authenticate.ts";
import { requireKeyAllows } from "./key-limits.ts";
import { requireUserEnabled } from "./user-status.ts";

/** Where seed 000's creation Workers send their own credential to /auth/validate. */
export const INTERNAL_KEY_HEADER = "x-internal-key";

const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The user a credential is for: the signed-in user (only themself), or the one the platform
 *  names. */
function subjectOf(principal: Principal, requested: string | undefined): string {
  if (principal.type === "service") {
    if (!requested) throw new ApiError("INVALID_REQUEST", "The platform names the user_id.");
    return requested;
  }
  if (principal.type !== "user") throw new Error("the route admits users and the platform");
  if (requested !== undefined && requested !== principal.id) {
    throw new ApiError("FORBIDDEN", "A user gets content credentials for themself only.");
  }
  return principal.id;
}

export async function issueContentCredential(
  env: Env,
  principal: Principal,
  creationId: string,
  requestedUserId: string | undefined,
): Promise<{ credential: string; expires_at: string }> {
  const userId = subjectOf(principal, requestedUserId);
  const [policy] = await Promise.all([
    actorByName(env.CREATION, creationId).roomPolicy(),
    requireUserEnabled(env, userId),
  ]);
  if (!policy) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
  const role: ContentRole = policy.owner === userId ? "owner" : "user";
  const expiresAt = Math.floor(clock.now() / 1000) + CONTENT_CREDENTIAL_TTL_SECONDS;
  const credential = await mintContentCredential(env.TOKEN_SECRET, {
    creationId,
    userId,
    role,
    expiresAt,
  });
  return { credential, expires_at: isoSeconds(expiresAt) };
}

/** The creation's backend, by its X-Internal-Key (seed 000) or the usual credential headers;
 *  a scoped key needs `users:verify`. */
export async function requireCreationBackend(c: AppContext, creationId: string): Promise<void> {
  const internal = c.req.header(INTERNAL_KEY_HEADER)?.trim();
  const principal =
    internal === undefined
      ? await authenticate(c)
      : await authenticateBackendKey(c, internal, INTERNAL_KEY_HEADER);
  if (principal.type === "user") {
    throw new ApiError("FORBIDDEN", "Content credentials are checked by the creation's backend.");
  }
  requireSameCreation(principal, creationId);
  requireKeyAllows(principal, { scope: "users:verify" });
}

/** Who a credential proves, or its own refusal: forged, another creation's, or expired. */
export async function checkContentCredential(env: Env, token: string, creationId: string) {
  const claim = await readContentCredential(env.TOKEN_SECRET, token);
  if (!claim) {
    throw new ApiError("CONTENT_CREDENTIAL_INVALID", "The content credential is not genuine.");
  }
  if (claim.creationId !== creationId) {
    throw new ApiError(
      "CONTENT_CREDENTIAL_WRONG_CREATION",
      "The content credential was issued for another creation.",
    );
  }
  if (claim.expiresAt * 1000 <= clock.now()) {
    throw new ApiError("CONTENT_CREDENTIAL_EXPIRED", "The content credential has expired.", {
      expired_at: isoSeconds(claim.expiresAt),
    });
  }
  return {
    user_id: claim.userId,
    role: claim.role,
    creation_id: claim.creationId,
    expires_at: isoSeconds(claim.expiresAt),
  };
}
