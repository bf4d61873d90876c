// Turns a request's credentials into a Principal, or throws a 401 with a code saying why.
// Identity never comes from a plain header: see middleware/identity-headers.ts.

import { keyPrefix } from "../../shared/api-keys.ts";
import { jwtConfig } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Principal, PrincipalType } from "../../shared/schemas/principal.ts";
import { CREATION_TOKEN_PREFIX } from "../../shared/tokens.ts";
import type { AppContext } from "../context.ts";
import { PUBLISHABLE_KEY_HEADER, verifySecretKey } from "./api-key.ts";
import { type CredentialCheck, verifyCreationToken } from "./creation-token.ts";
import { verifyUserJwt } from "./jwt.ts";
import {
  hasServiceSignature,
  LEGACY_SIGNATURE_HEADER,
  verifyLegacyCall,
  verifyServiceCall,
} from "./service.ts";

/** Where a creation's backend may send its token or secret key instead of Authorization
 *  (seeds 000 and 003). */
export const API_KEY_HEADER = "x-api-key";

/** `check` says who checks that a creation's token or key still stands: see
 *  auth/creation-token.ts and auth/api-key.ts. */
export async function authenticate(
  c: AppContext,
  check: CredentialCheck = "router",
): Promise<Principal> {
  // A signed call is judged by its signature alone, whatever else it carries.
  if (hasServiceSignature(c)) return verifyServiceCall(c);
  if (c.req.header(LEGACY_SIGNATURE_HEADER) !== undefined) return verifyLegacyCall(c);
  const token = bearerToken(c);
  if (token.startsWith(CREATION_TOKEN_PREFIX)) return verifyCreationToken(token, c.env, check);
  if (keyPrefix(token)) return verifySecretKey(c, token, check);
  return verifyUserJwt(token, jwtConfig(c.env));
}

/** A creation's backend by a key it sent in a header of its own (seed 000's X-Internal-Key):
 *  its `rct_` token or a secret key, nothing else. */
export async function authenticateBackendKey(
  c: AppContext,
  key: string,
  header: string,
): Promise<Principal> {
  if (keyPrefix(key)?.kind === "publishable") {
    throw new ApiError("PUBLISHABLE_KEY_NOT_ALLOWED", "A publishable key cannot authenticate.");
  }
  if (!isBackendKey(key)) {
    throw new ApiError(
      "INVALID_TOKEN",
      `${header} takes the creation's token (${CREATION_TOKEN_PREFIX}…) or a secret key (sk_…).`,
    );
  }
  if (key.startsWith(CREATION_TOKEN_PREFIX)) return verifyCreationToken(key, c.env, "router");
  return verifySecretKey(c, key, "router");
}

/** Keys a creation's backend sends: its `rct_` token or a secret key. */
const isBackendKey = (token: string) =>
  token.startsWith(CREATION_TOKEN_PREFIX) || keyPrefix(token)?.kind === "secret";

/**
 * The token of `Authorization: Bearer <token>`, or of `x-api-key: <key>` (seed 000's backends
 * send their creation token either way, seed 003's their secret key). A key header takes keys
 * only, never a user's JWT; sent together, the two must name the same credential, so no request
 * carries two identities. A publishable key is never a credential (it names a creation to
 * browser-safe routes in its own header), so it is refused here with a code that says so.
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
  const key = apiKey?.trim();
  for (const token of [fromAuthorization, key]) {
    if (token !== undefined && keyPrefix(token)?.kind === "publishable") {
      throw new ApiError(
        "PUBLISHABLE_KEY_NOT_ALLOWED",
        `A publishable key cannot authenticate; send it as ${PUBLISHABLE_KEY_HEADER} to browser-safe routes, and a secret key (sk_…) from servers.`,
      );
    }
  }
  if (key === undefined) return fromAuthorization as string;
  if (!isBackendKey(key) || /\s/.test(key)) {
    throw new ApiError(
      "INVALID_TOKEN",
      `${API_KEY_HEADER} takes a creation token (${CREATION_TOKEN_PREFIX}…) or a secret key (sk_…); send a user's JWT as "Authorization: Bearer <token>".`,
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
  check: CredentialCheck = "router",
): Promise<Principal> {
  const principal = await authenticate(c, check);
  if (principal.type === "creation" && !allowed.includes("creation")) {
    throw new ApiError(
      "CREATION_SCOPE_DENIED",
      "A creation's token or key may not call this route.",
    );
  }
  if (!allowed.includes(principal.type)) {
    throw new ApiError("FORBIDDEN", `This route is not open to ${principal.type} principals.`, {
      allowed,
    });
  }
  return principal;
}
