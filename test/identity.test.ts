// Seed 000's platform identity: /v1/auth/me for users and agents, agent attribution, and
// content credentials checked by a creation's backend with /v1/auth/validate.

import { describe, expect, it } from "vitest";
import { roomIdentityOf } from "../src/actors/room/identity.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { CONTENT_CREDENTIAL_TTL_SECONDS } from "../src/shared/limits.ts";
import {
  api,
  asCreation,
  bearer,
  createCreation,
  jsonInit,
  problemOf,
  serviceHeaders,
  userToken,
} from "./helpers.ts";
import { post } from "./wallet-helpers.ts";

const ATLAS = { agent_id: "alice/atlas", name: "Atlas" };
const authMe = (headers: Record<string, string> = {}) => api("/v1/auth/me", { headers });

describe("GET /v1/auth/me", () => {
  it("answers a user's identity in seed 000's shape", async () => {
    const verified = await bearer({ email: "alice@example.com", claims: { email_verified: true } });
    expect(await (await authMe(verified)).json()).toEqual({
      auth_type: "user",
      user_id: "alice",
      email: "alice@example.com",
      email_verified: true,
    });
    expect(await (await authMe(await bearer({ sub: "bob" }))).json()).toEqual({
      auth_type: "user",
      user_id: "bob",
      email: null,
      email_verified: false,
    });
  });

  it("answers an agent's identity, acting for its user", async () => {
    const response = await authMe(await bearer({ claims: ATLAS }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      auth_type: "agent",
      user_id: "alice",
      agent_id: "alice/atlas",
      name: "Atlas",
    });
    const unnamed = await authMe(await bearer({ claims: { agent_id: "alice/scout" } }));
    expect(await unnamed.json()).toMatchObject({ agent_id: "alice/scout", name: null });
  });

  it("answers a creation's token and key, and the platform", async () => {
    const creation = await createCreation("alice");
    expect(await (await authMe(asCreation(creation.token))).json()).toEqual({
      auth_type: "creation",
      creation_id: creation.id,
      credential: "token",
      key_id: null,
      mode: "live",
    });
    const signed = await authMe(await serviceHeaders("GET", "/v1/auth/me"));
    expect(await signed.json()).toEqual({ auth_type: "service" });
  });

  it("refuses without a valid token, with the seed's error member", async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, "UNAUTHENTICATED"],
      [await bearer({ expiresInSeconds: -120 }), "TOKEN_EXPIRED"],
      [{ authorization: "Bearer not-a-jwt" }, "INVALID_TOKEN"],
      [await bearer({ secret: "another-secret-0123456789abcdef0123" }), "INVALID_TOKEN"],
      [await bearer({ claims: { agent_id: "no-slash" } }), "INVALID_TOKEN"],
      [await bearer({ claims: { agent_id: 42 } }), "INVALID_TOKEN"],
    ];
    for (const [headers, code] of cases) {
      const response = await authMe(headers);
      expect(response.status).toBe(401);
      expect(await problemOf(response)).toMatchObject({ code, error: "Invalid or expired token" });
    }
    const publishable = await authMe({ authorization: "Bearer pk_live_AAAA" });
    expect(publishable.status).toBe(403);
    expect(await problemOf(publishable)).toMatchObject({
      code: "PUBLISHABLE_KEY_NOT_ALLOWED",
      error: "Invalid or expired token",
    });
  });
});

describe("agents", () => {
  it("spend from their user's wallet under their own name in the ledger", async () => {
    const agent = await bearer({ sub: "alice", claims: ATLAS });
    const user = await bearer({ sub: "alice" });
    const spend = (headers: Record<string, string>, reference_id: string) =>
      post("/v1/me/credits/spend", { amount: 2, type: "llm", reference_id }, headers);
    const byAgent = await spend(agent, "agent-spend");
    expect(byAgent.status).toBe(200);
    expect(((await byAgent.json()) as { transaction: object }).transaction).toMatchObject({
      kind: "spend",
      amount: 2,
      agent_id: "alice/atlas",
    });
    expect((await spend(user, "user-spend")).status).toBe(200);
    const page = await api("/v1/me/wallet/transactions", { headers: user });
    const { transactions } = (await page.json()) as {
      transactions: { reference_id: string | null; agent_id?: string }[];
    };
    const byReference = Object.fromEntries(transactions.map((t) => [t.reference_id, t]));
    expect(byReference["agent-spend"]?.agent_id).toBe("alice/atlas");
    expect(byReference["user-spend"]).not.toHaveProperty("agent_id");
  });

  it("appear in rooms as their user, under their own name", () => {
    const principal = {
      type: "user" as const,
      id: "alice",
      email: "alice@example.com",
      admin: false,
      agent: { id: "alice/atlas", name: "Atlas" },
    };
    expect(roomIdentityOf(principal, "bob")).toEqual({
      user_id: "alice",
      name: "Atlas",
      anonymous: false,
      privileged: false,
      agent_id: "alice/atlas",
    });
  });
});

describe("content credentials", () => {
  const issue = async (creationId: string, headers: Record<string, string>, body = {}) =>
    post(`/v1/creations/${creationId}/content-credentials`, body, headers);
  const validate = (headers: Record<string, string>, body: Record<string, unknown>) =>
    api("/v1/auth/validate", jsonInit("POST", body, headers));
  const credentialOf = async (response: Response) => {
    expect(response.status).toBe(201);
    return ((await response.json()) as { credential: string; expires_at: string }).credential;
  };

  it("round-trips: the user's page gets one, the creation's backend learns user and role", async () => {
    const creation = await createCreation("alice");
    const issued = await issue(creation.id, await bearer({ sub: "bob" }));
    expect(issued.status).toBe(201);
    const { credential, expires_at } = (await issued.json()) as {
      credential: string;
      expires_at: string;
    };
    expect(Date.parse(expires_at) - clock.now()).toBeLessThanOrEqual(
      CONTENT_CREDENTIAL_TTL_SECONDS * 1000,
    );
    const internal = { "x-internal-key": creation.token };
    const checked = await validate(internal, { token: credential, creation_id: creation.id });
    expect(checked.status).toBe(200);
    expect(await checked.json()).toEqual({
      user_id: "bob",
      role: "user",
      creation_id: creation.id,
      expires_at,
    });
    const owner = await credentialOf(await issue(creation.id, await bearer({ sub: "alice" })));
    const asOwner = await validate(internal, { token: owner, creation_id: creation.id });
    expect(await asOwner.json()).toMatchObject({ user_id: "alice", role: "owner" });
  });

  it("are checked with a secret key too, which needs the users:verify scope when scoped", async () => {
    const creation = await createCreation("alice");
    const credential = await credentialOf(await issue(creation.id, await bearer({ sub: "bob" })));
    const keyOf = async (body: Record<string, unknown>) => {
      const created = await post(`/v1/creations/${creation.id}/keys`, body, await bearer());
      return ((await created.json()) as { key: string }).key;
    };
    const full = await keyOf({ kind: "secret", mode: "live", name: "all" });
    const verify = await keyOf({
      kind: "secret",
      mode: "test",
      name: "v",
      scopes: ["users:verify"],
    });
    const narrow = await keyOf({
      kind: "secret",
      mode: "live",
      name: "w",
      scopes: ["wallet:read"],
    });
    const pk = await keyOf({ kind: "publishable", mode: "live", name: "p" });
    const body = { token: credential, creation_id: creation.id };
    expect((await validate({ "x-internal-key": full }, body)).status).toBe(200);
    expect((await validate({ "x-internal-key": verify }, body)).status).toBe(200);
    expect((await validate({ authorization: `Bearer ${full}` }, body)).status).toBe(200);
    const denied = await validate({ "x-internal-key": narrow }, body);
    expect(denied.status).toBe(403);
    expect((await problemOf(denied)).code).toBe("KEY_SCOPE_DENIED");
    const publishable = await validate({ "x-internal-key": pk }, body);
    expect((await problemOf(publishable)).code).toBe("PUBLISHABLE_KEY_NOT_ALLOWED");
  });

  it("refuses each wrong credential and each wrong caller with its own code", async () => {
    const creation = await createCreation("alice");
    const other = await createCreation("carol");
    const credential = await credentialOf(await issue(creation.id, await bearer({ sub: "bob" })));
    const foreign = await credentialOf(await issue(other.id, await bearer({ sub: "bob" })));
    const internal = { "x-internal-key": creation.token };
    const refusal = async (
      headers: Record<string, string>,
      body: Record<string, unknown>,
      status: number,
      code: string,
    ) => {
      const response = await validate(headers, body);
      expect(response.status).toBe(status);
      expect((await problemOf(response)).code).toBe(code);
    };
    const id = creation.id;
    await refusal(
      internal,
      { token: foreign, creation_id: id },
      403,
      "CONTENT_CREDENTIAL_WRONG_CREATION",
    );
    const [payload, tag] = credential.slice(4).split(".");
    const tampered = `rcc_${payload}x.${tag}`;
    await refusal(
      internal,
      { token: tampered, creation_id: id },
      401,
      "CONTENT_CREDENTIAL_INVALID",
    );
    await refusal(
      internal,
      { token: "rcc_AAAA.BBBB", creation_id: id },
      401,
      "CONTENT_CREDENTIAL_INVALID",
    );
    await refusal(
      internal,
      { token: creation.token, creation_id: id },
      401,
      "CONTENT_CREDENTIAL_INVALID",
    );
    await refusal({}, { token: credential, creation_id: id }, 401, "UNAUTHENTICATED");
    await refusal(
      { "x-internal-key": await userToken({ sub: "bob" }) },
      { token: credential, creation_id: id },
      401,
      "INVALID_TOKEN",
    );
    await refusal(
      { "x-internal-key": other.token },
      { token: credential, creation_id: id },
      403,
      "CREATION_SCOPE_MISMATCH",
    );
    await refusal(
      await bearer({ sub: "bob" }),
      { token: credential, creation_id: id },
      403,
      "FORBIDDEN",
    );
    await refusal(
      internal,
      { token: credential, creation_id: "not-a-uuid" },
      400,
      "INVALID_REQUEST",
    );
    await refusal(internal, { token: 42, creation_id: id }, 400, "INVALID_REQUEST");

    setTestClock(clock.now() + (CONTENT_CREDENTIAL_TTL_SECONDS + 1) * 1000);
    await refusal(
      internal,
      { token: credential, creation_id: id },
      401,
      "CONTENT_CREDENTIAL_EXPIRED",
    );
  });

  it("are issued to the signed-in user, or by the platform for a named user", async () => {
    const creation = await createCreation("alice");
    const path = `/v1/creations/${creation.id}/content-credentials`;
    // A page asks with no body at all.
    const bare = await api(path, { method: "POST", headers: await bearer({ sub: "bob" }) });
    expect(bare.status).toBe(201);
    const forOther = await issue(creation.id, await bearer({ sub: "bob" }), { user_id: "carol" });
    expect((await problemOf(forOther)).code).toBe("FORBIDDEN");
    const body = JSON.stringify({ user_id: "carol" });
    const byPlatform = await api(path, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(await serviceHeaders("POST", path, body)),
      },
    });
    const credential = await credentialOf(byPlatform);
    const checked = await validate(
      { "x-internal-key": creation.token },
      { token: credential, creation_id: creation.id },
    );
    expect(await checked.json()).toMatchObject({ user_id: "carol", role: "user" });
    const unnamed = await api(path, {
      method: "POST",
      body: "{}",
      headers: {
        "content-type": "application/json",
        ...(await serviceHeaders("POST", path, "{}")),
      },
    });
    expect((await problemOf(unnamed)).code).toBe("INVALID_REQUEST");
    const missing = await issue(crypto.randomUUID(), await bearer({ sub: "bob" }));
    expect(missing.status).toBe(404);
    expect((await problemOf(missing)).code).toBe("CREATION_NOT_FOUND");
    const byCreation = await issue(creation.id, asCreation(creation.token));
    expect((await problemOf(byCreation)).code).toBe("CREATION_SCOPE_DENIED");
  });

  it("are not issued to a disabled user, and are again once enabled", async () => {
    const creation = await createCreation("alice");
    const admin = await bearer({ sub: "root", admin: true });
    expect((await post("/v1/admin/users/dave/disable", {}, admin)).status).toBe(200);
    const refused = await issue(creation.id, await bearer({ sub: "dave" }));
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("AUTH_USER_DISABLED");
    expect((await post("/v1/admin/users/dave/enable", {}, admin)).status).toBe(200);
    expect((await issue(creation.id, await bearer({ sub: "dave" }))).status).toBe(201);
  });
});
