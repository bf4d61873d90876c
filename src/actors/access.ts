// Who may do what to an actor's resource. The actor decides, so every path (HTTP today, other
// actors tomorrow) gets the same answer.

import { ApiError } from "../shared/errors.ts";
import type { Principal } from "../shared/schemas/principal.ts";
import { type CreationCredentials, requireCurrentCredential } from "./creation-credentials.ts";

/** owner: the user it belongs to; admin: a user with role admin; self: the creation's own
 *  rct_ token or secret key; service: the platform's backend. */
export type Role = "owner" | "admin" | "self" | "service";

/** What access depends on: the owning user and, for a creation's resources, the creation with
 *  what this actor knows of its credentials (token version, keys) to judge them by. */
export type Owned =
  | { owner: string; creationId: null }
  | { owner: string; creationId: string; credentials: CreationCredentials };

export function roleOf(caller: Principal, resource: Owned): Role | null {
  switch (caller.type) {
    case "user":
      if (caller.id === resource.owner) return "owner";
      return caller.admin ? "admin" : null;
    case "creation":
      return caller.id === resource.creationId ? "self" : null;
    case "service":
      return "service";
  }
}

/** A creation's token acts only on its own creation: the one place that says so. */
export function requireSameCreation(caller: Principal, creationId: string): void {
  if (caller.type === "creation" && caller.id !== creationId) {
    throw new ApiError("CREATION_SCOPE_MISMATCH", "This token belongs to another creation.");
  }
}

export function authorize(caller: Principal, resource: Owned, allowed: readonly Role[]): Role {
  if (resource.creationId !== null) {
    requireSameCreation(caller, resource.creationId);
    if (caller.type === "creation") requireCurrentCredential(caller, resource.credentials);
  }
  const role = roleOf(caller, resource);
  if (role && allowed.includes(role)) return role;
  if (caller.type === "creation") {
    throw new ApiError(
      "CREATION_SCOPE_DENIED",
      "A creation token may not do this; use the owner's token.",
    );
  }
  throw new ApiError("FORBIDDEN", `Only ${allowed.join(", ")} may do this.`);
}

/** Operator actions are for admins (a JWT with role admin) and the platform. */
export function requireOperator(caller: Principal): void {
  if (caller.type === "service" || (caller.type === "user" && caller.admin)) return;
  throw new ApiError("FORBIDDEN", "Only an admin or the platform may do this.");
}
