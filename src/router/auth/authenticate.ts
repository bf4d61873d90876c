// Turns a request's credentials into a Principal, or throws a 401 with a code saying why.
// Identity never comes from a plain header: see middleware/identity-headers.ts.

import { jwtConfig } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Principal, PrincipalType } from "../../shared/schemas/principal.ts";
import { CREATION_TOKEN_PREFIX } from "../../shared/tokens.ts";
import type { AppContext } from "../context.ts";
import { type TokenVersionCheck, verifyCreationToken } from "./creation-token.ts";
import { verifyUserJwt } from "./jwt.ts";
import {
  hasServiceSignature,
  LEGACY_SIGNATURE_HEADER,
  verifyLegacyCall,
  verifyServiceCall,
} from "./service.ts";

/** `versionCheck` says who checks an `rct_` token's version: see auth/creation-token.ts. */
export async function authenticate(
  c: AppContext,
  versionCheck: TokenVersionCheck = "router",
): Promise<Principal> {
  // A signed call is judged by its signature alone, whatever else it carries.
  if (hasServiceSignature(c)) return verifyServiceCall(c);
  if (c.req.header(LEGACY_SIGNATURE_HEADER) !== undefined) return verifyLegacyCall(c);
  const authorization = c.req.header("authorization");
  if (!authorization) {
    throw new ApiError("UNAUTHENTICATED", "Send a bearer token or a service signature.");
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    throw new ApiError("INVALID_TOKEN", 'The Authorization header must be "Bearer <token>".');
  }
  const token = match[1];
  if (token.startsWith(CREATION_TOKEN_PREFIX))
    return verifyCreationToken(token, c.env, versionCheck);
  return verifyUserJwt(token, jwtConfig(c.env));
}

/** Whether the request carries any credential (a bearer token or a signature). */
export function hasCredentials(c: AppContext): boolean {
  return (
    hasServiceSignature(c) ||
    c.req.header("authorization") !== undefined ||
    c.req.header(LEGACY_SIGNATURE_HEADER) !== undefined
  );
}

/** Authenticates and checks the principal is one of the kinds a route admits. */
export async function requirePrincipal(
  c: AppContext,
  allowed: readonly PrincipalType[],
  versionCheck: TokenVersionCheck = "router",
): Promise<Principal> {
  const principal = await authenticate(c, versionCheck);
  if (principal.type === "creation" && !allowed.includes("creation")) {
    throw new ApiError("CREATION_SCOPE_DENIED", "A creation token may not call this route.");
  }
  if (!allowed.includes(principal.type)) {
    throw new ApiError("FORBIDDEN", `This route is not open to ${principal.type} principals.`, {
      allowed,
    });
  }
  return principal;
}
