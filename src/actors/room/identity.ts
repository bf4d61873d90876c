// Who a caller is inside a creation's room, decided once for the router's routes and the room:
// a user is themself (privileged when they own the creation); the creation's own token and the
// platform are privileged; a visitor without credentials is anonymous, and only where the
// creation allows it.

import { ApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { RoomIdentity } from "../../shared/schemas/room.ts";

/** What a creation says about its rooms (CreationDO.roomPolicy). */
export interface RoomPolicy {
  owner: string;
  allow_anonymous: boolean;
}

export function roomIdentityOf(principal: Principal, owner: string): RoomIdentity {
  switch (principal.type) {
    case "user":
      return {
        user_id: principal.id,
        name: principal.agent ? (principal.agent.name ?? principal.agent.id) : principal.email,
        anonymous: false,
        privileged: principal.id === owner,
        ...(principal.agent ? { agent_id: principal.agent.id } : {}),
      };
    case "creation":
      return {
        user_id: `creation:${principal.id}`,
        name: null,
        anonymous: false,
        privileged: true,
      };
    case "service":
      return { user_id: "service", name: null, anonymous: false, privileged: true };
  }
}

/** The identity a ticket stands for: the caller's, or a fresh anonymous one where allowed. (A
 * creation token for another creation was refused by the route's creationParam, as on every
 * room route.) */
export function ticketIdentity(principal: Principal | null, policy: RoomPolicy): RoomIdentity {
  if (principal) return roomIdentityOf(principal, policy.owner);
  if (!policy.allow_anonymous) {
    throw new ApiError("UNAUTHENTICATED", "This creation's rooms need a signed-in user.");
  }
  return { user_id: `anon:${crypto.randomUUID()}`, name: null, anonymous: true, privileged: false };
}

/** Server messages and privileged patches: the creation's token, its owner, the platform. */
export function privilegedIdentity(principal: Principal, policy: RoomPolicy): RoomIdentity {
  const identity = roomIdentityOf(principal, policy.owner);
  if (!identity.privileged) {
    throw new ApiError("FORBIDDEN", "Only the creation, its owner or the platform push to rooms.");
  }
  return identity;
}
