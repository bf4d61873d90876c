// `rat_` access tokens at the edge: minted for a user and one creation, opened when that
// creation spends on the user's behalf. Like rct_ tokens, they are proved here, before any
// wallet is woken; the wallet then decides whether the user's budget allows the spend, and
// refuses it while the user is disabled (it keeps a copy of the flag: wallet/user-status.ts).

import { actorByName } from "../../actors/refusal.ts";
import { mintAccessToken, readAccessToken } from "../../shared/access-tokens.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "../../shared/limits.ts";
import type { AccessToken } from "../../shared/schemas/authorization.ts";
import type { CreationPrincipal } from "../../shared/schemas/principal.ts";
import { requireUserEnabled } from "./user-status.ts";

const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Mints a token letting `creationId` act for `userId`; the creation must exist and the user
 * must not be disabled (both asked at once). */
export async function issueAccessToken(
  env: Env,
  userId: string,
  creationId: string,
): Promise<AccessToken> {
  const [creation] = await Promise.all([
    actorByName(env.CREATION, creationId).projection(),
    requireUserEnabled(env, userId),
  ]);
  if (!creation) {
    throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
  }
  const { token, expiresAt } = await mintAccessToken(env.TOKEN_SECRET, userId, creationId);
  return {
    access_token: token,
    creation_id: creationId,
    expires_at: isoSeconds(expiresAt),
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}

/** The user a creation may charge: the one sealed in a genuine, current token for it. */
export async function userBehindAccessToken(
  env: Env,
  caller: Pick<CreationPrincipal, "id">,
  token: string | undefined,
): Promise<string> {
  if (!token) {
    throw new ApiError(
      "CREATION_SCOPE_DENIED",
      "A creation spends from a user's wallet only with on_behalf_of_access_token.",
    );
  }
  const claim = await readAccessToken(env.TOKEN_SECRET, token);
  if (!claim) throw new ApiError("AUTH_TOKEN_INVALID", "The access token is not genuine.");
  if (claim.kind !== "budget") {
    throw new ApiError(
      "ACCESS_TOKEN_WRONG_KIND",
      "This is an entitlement's access token: it proves a purchase to /v1/entitlements/verify. To spend for a user, send their budget access token (POST /v1/me/access-tokens).",
    );
  }
  if (claim.expiresAt * 1000 <= clock.now()) {
    throw new ApiError(
      "AUTH_TOKEN_EXPIRED",
      "The access token has expired; ask the user for a new one.",
      {
        expired_at: isoSeconds(claim.expiresAt),
      },
    );
  }
  if (claim.creationId !== caller.id) {
    throw new ApiError("AUTH_WRONG_CREATION", "The access token was issued to another creation.");
  }
  return claim.userId;
}
