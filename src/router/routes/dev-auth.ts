// Development sign-in: a short-lived user JWT for a chosen user id, so the example pages (and
// anyone trying troupe locally) need no credential in a page address. Only when the DEV_SIGN_IN
// var is "true" (.dev.vars.example sets it; wrangler.jsonc keeps it "false") and user JWTs are
// HS256 with AUTH_JWT_SECRET: with a JWKS, tokens come from the real identity provider and this
// route never mints one. Otherwise it is the same 404 as a route that does not exist, and it
// reads no body before saying so.

import { jwtConfig, type SecretJwtConfig } from "../../shared/config.ts";
import { DEV_SIGN_IN_TOKEN_TTL_SECONDS } from "../../shared/limits.ts";
import { DevSignInAnswerSchema, DevSignInSchema } from "../../shared/schemas/dev-auth.ts";
import { iso } from "../../shared/time.ts";
import { mintUserJwt } from "../auth/jwt.ts";
import type { AppContext } from "../context.ts";
import { parseInput, readJsonBody } from "../input.ts";
import { noRoute } from "../middleware/errors.ts";
import { defineRoute } from "../route.ts";

/** The signing key when development sign-in is on; null when it is off. */
function devSecret(c: AppContext): SecretJwtConfig | null {
  if (c.env.DEV_SIGN_IN !== "true") return null;
  const config = jwtConfig(c.env);
  return config.kind === "secret" ? config : null;
}

export const devAuthRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/dev/sign-in",
      operationId: "devSignIn",
      summary: `Development only: a ${DEV_SIGN_IN_TOKEN_TTL_SECONDS}-second user JWT for any user id`,
      description:
        'Body { user_id, email? }. Answers 404 NOT_FOUND unless the DEV_SIGN_IN var is "true" and user JWTs are HS256 (no AUTH_JWKS_URL). Never enable it where real users sign in: anyone who reaches it can be anyone.',
      tag: "identity",
      auth: "public",
      mintsCredentials: true,
      responses: {
        201: { description: "{ token, user_id, expires_at }", schema: DevSignInAnswerSchema },
      },
    },
    async (c) => {
      const key = devSecret(c);
      if (!key) throw noRoute(c);
      const body = parseInput("body", DevSignInSchema, await readJsonBody(c, DevSignInSchema));
      const { token, expiresAt } = await mintUserJwt(
        key,
        { sub: body.user_id, email: body.email },
        DEV_SIGN_IN_TOKEN_TTL_SECONDS,
      );
      return c.json({ token, user_id: body.user_id, expires_at: iso(expiresAt * 1000) }, 201);
    },
  ),
];
