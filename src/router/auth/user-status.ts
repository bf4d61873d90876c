// Whether a user may act, for what the router serves without the user's wallet: room tickets,
// room connections with the user's JWT, new access tokens, content credentials. One question
// to the user's actor, the authority; ask it beside the route's other look-up, not after it.
// Spends on the user's behalf never ask: the user's wallet refuses them from its own copy.

import { actorByName } from "../../actors/refusal.ts";
import { ApiError } from "../../shared/errors.ts";

/** 403 AUTH_USER_DISABLED while an operator has the user disabled. */
export async function requireUserEnabled(env: Env, userId: string): Promise<void> {
  if (await actorByName(env.USER, userId).isEnabled(userId)) return;
  throw new ApiError(
    "AUTH_USER_DISABLED",
    "This user is disabled; an operator can enable them again.",
  );
}
