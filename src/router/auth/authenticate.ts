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

/** Where a creation's backend may send its token instead of Authorization (seed 000). */
export const API_KEY_HEADER = "x-api-key";

/** `versionCheck` says who checks an `rct_` token's version: see auth/creation-token.ts. */
export async function authenticate(
  c: AppContext,
  versionCheck: TokenVersionCheck = "router",
): Promise<Principal> {
  // A signed call is judged by its signature alone, whatever else it carries.
  if (hasServiceSignature(c)) return verifyServiceCall(c);
  if (c.req.header(LEGACY_SIGNATURE_HEADER) !== undefined) return verifyLegacyCall(c);
  const token = bearerToken(c);
  if (token.startsWith(CREATION_TOKEN_PREFIX)) {
    return verifyCreationToken(token, c.env, versionCheck);
  }
  return verifyUserJwt(token, jwtConfig(c.env));
}

/**
 * The token of `Authorization: Bearer <token>`, or of `x-api-key: <key>` (seed 000's backends
 * send their creation token either way). A key header takes keys only, never a user's JWT; sent
 * together, the two must name the same credential, so no request carries two identities.
 */
function bearerToken(c: AppContext): string {
  const authorization = c.req.header("authorization");
  const apiKey = c.req.header(API_KEY_HEADER);
  if (authorization === undefined && apiKey === undefined) {
    throw new ApiError("UNAUTHENTICATED", "Send a bearer token or a service signature.");
  }
  let fromAuthorization: string | undefined;
  if (authorization !== undefined) {
    fromAuthorization = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!fromAuthorization) {
      throw new ApiError("INVALID_TOKEN", 'The Authorization header must be "Bearer <token>".');
    }
  }
  if (apiKey === undefined) return fromAuthorization as string;
  const key = apiKey.trim();
  if (!key.startsWith(CREATION_TOKEN_PREFIX) || /\s/.test(key)) {
    throw new ApiError(
      "INVALID_TOKEN",
      `${API_KEY_HEADER} takes a creation token (${CREATION_TOKEN_PREFIX}…); send a user's JWT as "Authorization: Bearer <token>".`,
    );
  }
  if (fromAuthorization !== undefined && fromAuthorization !== key) {
    throw new ApiError(
      "INVALID_TOKEN",
      `Authorization and ${API_KEY_HEADER} carry different credentials; send one.`,
    );
  }
  return key;
}

/** Whether the request carries any credential (a bearer token, a key or a signature). */
export function hasCredentials(c: AppContext): boolean {
  return (
    hasServiceSignature(c) ||
    c.req.header("authorization") !== undefined ||
    c.req.header(API_KEY_HEADER) !== undefined ||
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
