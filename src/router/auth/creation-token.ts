// `rct_` creation tokens at the edge: the HMAC proves the token was minted here. Whether its
// version is still current is decided by the actor that does the work when that actor knows the
// version (the creation's own actor and its wallet: one actor hop per request); for every other
// route the router asks the creation's actor first (see actors/creation-token-version.ts).

import { requireCurrentToken } from "../../actors/creation-token-version.ts";
import { actorByName } from "../../actors/refusal.ts";
import { ApiError } from "../../shared/errors.ts";
import type { CreationTokenPrincipal } from "../../shared/schemas/principal.ts";
import { readCreationToken } from "../../shared/tokens.ts";

/** Who checks that a genuine token's version is current: the router, or the route's actor. */
export type CredentialCheck = "router" | "actor";

export async function verifyCreationToken(
  token: string,
  env: Env,
  check: CredentialCheck,
): Promise<CreationTokenPrincipal> {
  const claim = await readCreationToken(env.TOKEN_SECRET, token);
  if (!claim) throw new ApiError("INVALID_TOKEN", "The creation token is not genuine.");
  const principal: CreationTokenPrincipal = {
    type: "creation",
    id: claim.creationId,
    token_version: claim.version,
  };
  if (check === "actor") return principal;
  // Only a genuine token reaches the actor, so forged tokens cannot wake arbitrary actors.
  const current = await actorByName(env.CREATION, claim.creationId).tokenVersion();
  if (current === null)
    throw new ApiError("INVALID_TOKEN", "The creation of this token does not exist.");
  requireCurrentToken(principal, current);
  return principal;
}
