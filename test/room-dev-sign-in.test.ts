// Development sign-in (POST /v1/dev/sign-in), which the room examples use instead of a token in
// the page address: a short-lived JWT for a chosen user id, only when DEV_SIGN_IN is "true" and
// user JWTs are HS256; otherwise the same 404 as a route that does not exist.
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/router/app.ts";
import { apiRoutes } from "../src/router/routes/index.ts";
import { clock } from "../src/shared/clock.ts";
import { DEV_SIGN_IN_TOKEN_TTL_SECONDS } from "../src/shared/limits.ts";
import { api, jsonInit, ORIGIN, problemOf } from "./helpers.ts";

const app = createApp(apiRoutes);
const signIn = (body: unknown, vars: Record<string, string> = {}) =>
  app.fetch(new Request(`${ORIGIN}/v1/dev/sign-in`, jsonInit("POST", body)), {
    ...env,
    DEV_SIGN_IN: "true",
    ...vars,
  });

/** The body exactly as given: malformed JSON and odd types too. */
const signInRaw = (body: string) =>
  app.fetch(
    new Request(`${ORIGIN}/v1/dev/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
    { ...env, DEV_SIGN_IN: "true" },
  );

describe("POST /v1/dev/sign-in", () => {
  it('is a 404 like any unknown route while DEV_SIGN_IN is not "true", whatever the body', async () => {
    expect(env.DEV_SIGN_IN).toBe("false"); // wrangler.jsonc's default
    const unknown = await problemOf(await api("/v1/dev/nothing-here", jsonInit("POST", {})));
    for (const body of [{ user_id: "ann" }, { user_id: "" }, "not json"]) {
      const response = await api("/v1/dev/sign-in", jsonInit("POST", body));
      expect(response.status).toBe(404);
      const problem = await problemOf(response);
      expect([problem.code, problem.detail]).toEqual([
        unknown.code,
        unknown.detail.replace("/v1/dev/nothing-here", "/v1/dev/sign-in"),
      ]);
    }
  });

  it(`mints a ${DEV_SIGN_IN_TOKEN_TTL_SECONDS}-second JWT for the user id, which the API accepts`, async () => {
    const response = await signIn({ user_id: "ann", email: "ann@example.com" });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as {
      token: string;
      user_id: string;
      expires_at: string;
    };
    const now = Math.floor(clock.now() / 1000);
    expect(answer.user_id).toBe("ann");
    expect(answer.expires_at).toBe(
      new Date((now + DEV_SIGN_IN_TOKEN_TTL_SECONDS) * 1000).toISOString(),
    );
    const claims = decodeJwt(answer.token);
    expect([claims.sub, claims.email, (claims.exp ?? 0) - (claims.iat ?? 0), claims.role]).toEqual([
      "ann",
      "ann@example.com",
      DEV_SIGN_IN_TOKEN_TTL_SECONDS,
      undefined,
    ]);
    const me = await api("/v1/me", { headers: { authorization: `Bearer ${answer.token}` } });
    expect(await me.json()).toEqual({
      type: "user",
      id: "ann",
      email: "ann@example.com",
      admin: false,
    });
  });

  it("refuses a bad user id, and any field beyond user_id and email (no admin role)", async () => {
    const cases: [unknown, string][] = [
      [{ user_id: "has space" }, "body user_id: must be printable ASCII without spaces"],
      [{ user_id: "ann", role: "admin" }, "body role: is not a known field"],
      [{}, 'body user_id: Invalid key: Expected "user_id" but received undefined'],
    ];
    for (const [body, detail] of cases) {
      const problem = await problemOf(await signIn(body));
      expect([problem.status, problem.code, problem.detail]).toEqual([
        400,
        "INVALID_REQUEST",
        detail,
      ]);
    }
  });

  it("never mints a token where user JWTs come from an identity provider (AUTH_JWKS_URL)", async () => {
    const response = await signIn(
      { user_id: "ann" },
      {
        AUTH_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
        AUTH_JWT_ISSUER: "https://id.example.com/",
        AUTH_JWT_AUDIENCE: "troupe",
      },
    );
    expect([response.status, (await problemOf(response)).code]).toEqual([404, "NOT_FOUND"]);
  });

  it("refuses malformed JSON, a body of another JSON type and a __proto__ key, minting nothing", async () => {
    const cases: [string, string, string][] = [
      [
        '{"user_id":',
        "INVALID_JSON",
        "The request body is not valid JSON: Unexpected end of JSON input",
      ],
      ['["ann"]', "INVALID_REQUEST", "body body: must be a JSON object"],
      ["null", "INVALID_REQUEST", "body body: must be a JSON object"],
      [
        '{"user_id":7}',
        "INVALID_REQUEST",
        "body user_id: Invalid type: Expected string but received 7",
      ],
      [
        '{"user_id":"ann","__proto__":{"role":"admin"}}',
        "INVALID_REQUEST",
        'body body: may not use "__proto__" as a key',
      ],
    ];
    for (const [body, code, detail] of cases) {
      const response = await signInRaw(body);
      const problem = await problemOf(response);
      expect([body, response.status, problem.code, problem.detail]).toEqual([
        body,
        400,
        code,
        detail,
      ]);
    }
  });
});
