// Development sign-in: a short-lived user JWT for a chosen user id, so the example pages (and
// anyone trying troupe locally) need no credential in a page address. Only when the DEV_SIGN_IN
// var is "true" (.dev.vars.example sets it; wrangler.jsonc keeps it "false") and user JWTs are
// HS256 with AUTH_JWT_SECRET: with a JWKS, tokens come from the real identity provider and this
// route never mints one. Otherwise it is the same 404 as a route that does not exist, and it
// reads no body before saying so.

import { SignJWT } from "jose";
import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { jwtConfig } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import { EmailSchema, UserIdSchema } from "../../shared/ids.ts";
import { DEV_SIGN_IN_TOKEN_TTL_SECONDS } from "../../shared/limits.ts";
import type { AppContext } from "../context.ts";
import { parseInput, readJsonBody } from "../input.ts";
import { defineRoute } from "../route.ts";

const DevSignInSchema = v.strictObject({
  user_id: UserIdSchema,
  email: v.optional(EmailSchema),
});

const DevSignInAnswerSchema = v.object({
  token: v.string(),
  user_id: v.string(),
  expires_at: v.string(),
});

/** The signing key when development sign-in is on; null when it is off. */
function devSecret(
  c: AppContext,
): { secret: string; issuer: string | null; audience: string | null } | null {
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
      responses: {
        201: { description: "{ token, user_id, expires_at }", schema: DevSignInAnswerSchema },
      },
    },
    async (c) => {
      const key = devSecret(c);
      if (!key) throw new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`);
      const body = parseInput("body", DevSignInSchema, await readJsonBody(c, DevSignInSchema));
      const now = Math.floor(clock.now() / 1000);
      const expiresAt = now + DEV_SIGN_IN_TOKEN_TTL_SECONDS;
      const jwt = new SignJWT(body.email ? { email: body.email } : {})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(body.user_id)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt);
      if (key.issuer) jwt.setIssuer(key.issuer);
      if (key.audience) jwt.setAudience(key.audience);
      const token = await jwt.sign(new TextEncoder().encode(key.secret));
      return c.json(
        { token, user_id: body.user_id, expires_at: new Date(expiresAt * 1000).toISOString() },
        201,
      );
    },
  ),
];
