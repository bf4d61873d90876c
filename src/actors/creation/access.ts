// Who may do what to a creation. The actor decides, so every path (HTTP today, other actors
// tomorrow) gets the same answer.

import { ApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { CreationRow } from "./schema.ts";

/** owner: the user who created it; admin: a user with role admin; self: its own rct_ token;
 *  service: the platform's backend. */
export type CreationRole = "owner" | "admin" | "self" | "service";

export function roleOf(caller: Principal, creation: CreationRow): CreationRole | null {
  switch (caller.type) {
    case "user":
      if (caller.id === creation.owner) return "owner";
      return caller.admin ? "admin" : null;
    case "creation":
      return caller.id === creation.id ? "self" : null;
    case "service":
      return "service";
  }
}

export function authorize(
  caller: Principal,
  creation: CreationRow,
  allowed: readonly CreationRole[],
) {
  if (caller.type === "creation" && caller.id !== creation.id) {
    throw new ApiError("CREATION_SCOPE_MISMATCH", "This token belongs to another creation.");
  }
  const role = roleOf(caller, creation);
  if (role && allowed.includes(role)) return role;
  if (caller.type === "creation") {
    throw new ApiError(
      "CREATION_SCOPE_DENIED",
      "A creation token may not do this; use the owner's token.",
    );
  }
  throw new ApiError("FORBIDDEN", `Only ${allowed.join(", ")} may do this to the creation.`);
}
