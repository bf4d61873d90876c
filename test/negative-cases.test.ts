// Refusals that had no test: each answers with its own code and changes nothing.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { describe, expect, inject, it } from "vitest";
import { creationAccount } from "../src/actors/wallet/account.ts";
import { verifyUserJwt } from "../src/router/auth/jwt.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { billingPackages, jwtConfig, planQuotas } from "../src/shared/config.ts";
import { ApiError } from "../src/shared/errors.ts";
import {
  BUDGET_AUTHORIZATIONS_MAX,
  CREATION_SCHEDULE_PAYLOAD_MAX_BYTES,
  DEDUP_RETENTION_MS,
} from "../src/shared/limits.ts";
import { DAY_MS } from "../src/shared/time.ts";
import { api, asCreation, bearer, createCreation, jsonInit, problemOf } from "./helpers.ts";
import { asService, fundCreation, post } from "./wallet-helpers.ts";

async function codeOf(response: Response) {
  return [response.status, (await problemOf(response)).code];
}

describe("wallet refusals", () => {
  it("HOLD_NOT_FOUND, TRANSACTION_NOT_FOUND and NOT_REFUNDABLE, with the balance unchanged", async () => {
    const { id, token } = await createCreation("negative-owner");
    await fundCreation(id, 100);
    const capture = await post(
      `/v1/creations/${id}/wallet/holds/hold_nope/capture`,
      {},
      asCreation(token),
    );
    expect(await codeOf(capture)).toEqual([404, "HOLD_NOT_FOUND"]);
    const unknown = await asService("POST", `/v1/creations/${id}/wallet/refunds`, {
      transaction_id: "txn_nope",
    });
    expect(await codeOf(unknown)).toEqual([404, "TRANSACTION_NOT_FOUND"]);
    const page = (await (
      await api(`/v1/creations/${id}/wallet/transactions`, { headers: asCreation(token) })
    ).json()) as { transactions: { id: string; kind: string }[] };
    const deposit = page.transactions.find((t) => t.kind === "deposit");
    const refundDeposit = await asService("POST", `/v1/creations/${id}/wallet/refunds`, {
      transaction_id: deposit?.id,
    });
    expect(await codeOf(refundDeposit)).toEqual([409, "NOT_REFUNDABLE"]);
    const wallet = (await (
      await api(`/v1/creations/${id}/wallet`, { headers: asCreation(token) })
    ).json()) as { balance: number };
    expect(wallet.balance).toBe(100);
  });

  // 101 creations and 100 grants: more work than most tests, so a longer bound than the default.
  it(`refuses authorization ${BUDGET_AUTHORIZATIONS_MAX + 1} with AUTHORIZATION_LIMIT_REACHED`, {
    timeout: 60_000,
  }, async () => {
    const user = await bearer({ sub: "generous" });
    const creations = await Promise.all(
      Array.from({ length: BUDGET_AUTHORIZATIONS_MAX + 1 }, () => createCreation("many-apps")),
    );
    for (const creation of creations.slice(0, BUDGET_AUTHORIZATIONS_MAX)) {
      const granted = await post(
        "/v1/me/authorizations/budget",
        { creation_id: creation.id, limit: 10, period: "day" },
        user,
      );
      expect(granted.status).toBe(201);
    }
    const last = creations.at(-1)?.id;
    const over = await post(
      "/v1/me/authorizations/budget",
      { creation_id: last, limit: 10, period: "day" },
      user,
    );
    expect([over.status, await problemOf(over)]).toMatchObject([
      403,
      { code: "AUTHORIZATION_LIMIT_REACHED", limit: BUDGET_AUTHORIZATIONS_MAX },
    ]);
    const listed = (await (await api("/v1/me/authorizations", { headers: user })).json()) as [];
    expect(listed).toHaveLength(BUDGET_AUTHORIZATIONS_MAX);
  });

  it("forgets an idempotency record after DEDUP_RETENTION_MS, when the prune job runs", async () => {
    const { id } = await createCreation("forgetful");
    const path = `/v1/creations/${id}/wallet/deposit`;
    const first = await asService("POST", path, { amount: 5, reference_id: "once" });
    expect(first.status).toBe(200);
    const reused = await asService("POST", path, { amount: 6, reference_id: "once" });
    expect(await codeOf(reused)).toEqual([422, "IDEMPOTENCY_KEY_REUSED"]);

    setTestClock(clock.now() + DEDUP_RETENTION_MS + DAY_MS);
    await runDurableObjectAlarm(env.WALLET.getByName(creationAccount(id))); // the daily prune
    const fresh = await asService("POST", path, { amount: 6, reference_id: "once" });
    expect([fresh.status, ((await fresh.json()) as { balance: number }).balance]).toEqual([
      200, 11,
    ]);
  });
});

describe("other refusals", () => {
  it("SUBDOMAIN_NOT_FOUND for a name nobody claimed", async () => {
    const headers = await bearer({ sub: "nobody" });
    const release = await api("/v1/subdomains/never-claimed-x", { method: "DELETE", headers });
    expect(await codeOf(release)).toEqual([404, "SUBDOMAIN_NOT_FOUND"]);
  });

  it(`refuses a schedule payload over ${CREATION_SCHEDULE_PAYLOAD_MAX_BYTES} bytes, naming it`, async () => {
    const { id } = await createCreation("big-payload");
    const body = {
      delay_seconds: 60,
      target: { type: "room", room: "lobby", message: 1 },
      payload: "x".repeat(CREATION_SCHEDULE_PAYLOAD_MAX_BYTES),
    };
    const response = await api(
      `/v1/creations/${id}/schedules/too-big`,
      jsonInit("PUT", body, await bearer({ sub: "big-payload" })),
    );
    expect([response.status, (await problemOf(response)).errors]).toEqual([
      400,
      [
        {
          field: "payload",
          message: `is ${CREATION_SCHEDULE_PAYLOAD_MAX_BYTES + 2} bytes; the most is ${CREATION_SCHEDULE_PAYLOAD_MAX_BYTES}`,
        },
      ],
    ]);
    const listed = await api(`/v1/creations/${id}/schedules`, {
      headers: await bearer({ sub: "big-payload" }),
    });
    expect(await listed.json()).toEqual([]);
  });
});

describe("production JWT mode (AUTH_JWKS_URL)", () => {
  const issuer = "https://id.example";
  const audience = "troupe";
  const config = { kind: "jwks", jwksUrl: inject("jwksUrl"), issuer, audience } as const;

  async function sign(claims: { iss?: string; aud?: string }) {
    const key = await importJWK(JSON.parse(inject("jwksPrivateJwk")), "ES256");
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ email: "ada@example.com" })
      .setProtectedHeader({ alg: "ES256", kid: "test-key-1" })
      .setSubject("ada")
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
  }

  it("accepts a token signed by a key of the set, for this issuer and audience only", async () => {
    expect(await verifyUserJwt(await sign({}), config)).toEqual({
      type: "user",
      id: "ada",
      email: "ada@example.com",
      admin: false,
    });
    const otherIssuer = await verifyUserJwt(await sign({ iss: "https://evil.example" }), config)
      .then(() => null)
      .catch((error: ApiError) => [error.code, error.detail]);
    expect(otherIssuer).toEqual([
      "INVALID_TOKEN",
      "The JWT was issued by another issuer than this server accepts.",
    ]);
    const otherAudience = await verifyUserJwt(await sign({ aud: "someone-else" }), config)
      .then(() => null)
      .catch((error: ApiError) => error.code);
    expect(otherAudience).toBe("INVALID_TOKEN");
  });

  it("refuses to start without an issuer and an audience: SERVER_MISCONFIGURED, never an open door", () => {
    const misconfigured = { ...env, AUTH_JWKS_URL: inject("jwksUrl"), AUTH_JWT_AUDIENCE: "" };
    expect(() => jwtConfig(misconfigured)).toThrow(ApiError);
    expect(() => jwtConfig(misconfigured)).toThrow(/AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE/);
  });
});

describe("JSON configuration vars", () => {
  const codeAndDetail = (read: () => unknown) => {
    try {
      read();
      return null;
    } catch (error) {
      return [(error as ApiError).code, (error as ApiError).detail];
    }
  };

  it("checks BILLING_PACKAGES and PLAN_QUOTAS with their schemas and says what is wrong", () => {
    const packages = (value: string) => billingPackages({ ...env, BILLING_PACKAGES: value });
    const quotas = (value: string) => planQuotas({ ...env, PLAN_QUOTAS: value });
    expect(codeAndDetail(() => packages("[{"))).toEqual([
      "SERVER_MISCONFIGURED",
      'BILLING_PACKAGES is not JSON; it looks like [{"name":"mini","minutes":5}]',
    ]);
    expect(codeAndDetail(() => packages('[{"name":"mini","minutes":"5"}]'))?.[1]).toMatch(
      /^BILLING_PACKAGES 0\.minutes: /,
    );
    expect(codeAndDetail(() => quotas('{"starter":-1}'))?.[1]).toMatch(
      /^PLAN_QUOTAS starter: must not be negative/,
    );
    expect(packages('[{"name":"b","minutes":30},{"name":"a","minutes":5}]')).toEqual([
      { name: "a", minutes: 5 },
      { name: "b", minutes: 30 },
    ]);
    expect(quotas('{"starter":3}')).toEqual({ quotas: { starter: 3 }, fallback: null });
  });
});
