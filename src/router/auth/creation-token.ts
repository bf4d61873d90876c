// `rct_` creation tokens: the HMAC proves the token was minted here, the creation's actor says
// whether its version is still current (a rotation revokes every earlier one at once).

import { actorByName } from "../../actors/refusal.ts";
import { ApiError } from "../../shared/errors.ts";
import type { CreationPrincipal } from "../../shared/schemas/principal.ts";
import { readCreationToken } from "../../shared/tokens.ts";

export async function verifyCreationToken(token: string, env: Env): Promise<CreationPrincipal> {
  const claim = await readCreationToken(env.TOKEN_SECRET, token);
  if (!claim) throw new ApiError("INVALID_TOKEN", "The creation token is not genuine.");
  // Only a genuine token reaches the actor, so forged tokens cannot wake arbitrary actors.
  const current = await actorByName(env.CREATION, claim.creationId).tokenVersion();
  if (current === null)
    throw new ApiError("INVALID_TOKEN", "The creation of this token does not exist.");
  if (claim.version < current) {
    throw new ApiError("TOKEN_REVOKED", "This creation token was rotated; use the newest token.", {
      token_version: claim.version,
      current_version: current,
    });
  }
  if (claim.version > current)
    throw new ApiError("INVALID_TOKEN", "The creation token is not genuine.");
  return { type: "creation", id: claim.creationId, token_version: claim.version };
}
