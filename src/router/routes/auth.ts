// Seed 000's platform identity for a creation's backend: `GET /auth/me` answers who a bearer
// token belongs to (a user, or an agent acting for one), so a creation's Worker needs no crypto
// of its own. Failures keep seed 000's `error` member beside the problem's code.

import * as v from "valibot";
import { ApiError } from "../../shared/errors.ts";
import { isKeyPrincipal, type Principal } from "../../shared/schemas/principal.ts";
import { authenticate, hasCredentials } from "../auth/authenticate.ts";
import type { AppContext } from "../context.ts";
import { defineRoute } from "../route.ts";

/** What seed 000's clients read from a refused /auth/me. */
const SEED_ERROR = { error: "Invalid or expired token" };

export const AuthMeSchema = v.variant("auth_type", [
  v.object({
    auth_type: v.literal("user"),
    user_id: v.string(),
    email: v.nullable(v.string()),
    email_verified: v.boolean(),
  }),
  v.object({
    auth_type: v.literal("agent"),
    user_id: v.string(),
    agent_id: v.string(),
    name: v.nullable(v.string()),
  }),
  v.object({
    auth_type: v.literal("creation"),
    creation_id: v.string(),
    credential: v.picklist(["token", "secret_key"]),
    key_id: v.nullable(v.string()),
    mode: v.picklist(["live", "test"]),
  }),
  v.object({ auth_type: v.literal("service") }),
]);
export type AuthMe = v.InferOutput<typeof AuthMeSchema>;

export function authMeOf(principal: Principal): AuthMe {
  switch (principal.type) {
    case "user":
      if (principal.agent) {
        return {
          auth_type: "agent",
          user_id: principal.id,
          agent_id: principal.agent.id,
          name: principal.agent.name,
        };
      }
      return {
        auth_type: "user",
        user_id: principal.id,
        email: principal.email,
        email_verified: principal.email_verified ?? false,
      };
    case "creation":
      return isKeyPrincipal(principal)
        ? {
            auth_type: "creation",
            creation_id: principal.id,
            credential: "secret_key",
            key_id: principal.key_id,
            mode: principal.mode,
          }
        : {
            auth_type: "creation",
            creation_id: principal.id,
            credential: "token",
            key_id: null,
            mode: "live",
          };
    case "service":
      return { auth_type: "service" };
  }
}

/** The caller, or the refusal, which also carries seed 000's `error` member. */
async function caller(c: AppContext): Promise<Principal> {
  if (!hasCredentials(c)) {
    throw new ApiError("UNAUTHENTICATED", "Send Authorization: Bearer <token>.", SEED_ERROR);
  }
  try {
    return await authenticate(c);
  } catch (error) {
    // Whatever made authentication fail (a 401, or a publishable key: 403), seed 000's
    // clients look for `error`.
    if (error instanceof ApiError) {
      throw new ApiError(error.code, error.detail, { ...error.extensions, ...SEED_ERROR });
    }
    throw error;
  }
}

export const authRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/auth/me",
      operationId: "authMe",
      summary: "Who a bearer token belongs to: a user, or an agent acting for one (seed 000)",
      description:
        'Send the caller\'s token as Authorization: Bearer. 401 problems also carry seed 000\'s `"error": "Invalid or expired token"`.',
      tag: "identity",
      // Authenticated inside, so every refusal carries the seed's member.
      auth: "public",
      edgeLimitExempt:
        "It verifies the bearer token first, as an authenticated route; creation Workers on Cloudflare all reach it from one address",
      responses: {
        200: { description: "The verified identity", schema: AuthMeSchema },
        401: { description: "No token, or one that is not valid (with `error`)" },
      },
    },
    async (c) => c.json(authMeOf(await caller(c))),
  ),
];
