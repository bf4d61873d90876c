// Once POST /v1/creations/:id/rotate-token has answered, every route refuses the old `rct_`
// token with 401 TOKEN_REVOKED and changes nothing, whether the router checks the version (it
// asks the creation's actor) or the route's actor does (the creation's actor, its wallet). The
// table (creation-calls.ts) has one real request per route that admits a creation token; a
// route added without an entry fails the first test.

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { creationAccount } from "../src/actors/wallet/account.ts";
import { CALLS, creationRoutes, fixture, moneyOf, send } from "./creation-calls.ts";
import { api, asCreation, bearer, createCreation, problemOf } from "./helpers.ts";
import {
  creationWallet,
  expectCleanAudit,
  fundCreation,
  post,
  userWallet,
} from "./wallet-helpers.ts";

async function rotate(creationId: string): Promise<string> {
  const response = await api(`/v1/creations/${creationId}/rotate-token`, {
    method: "POST",
    headers: await bearer({ sub: "alice" }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

describe("a rotated creation token", () => {
  it("has a call in this file for every route that admits a creation token", () => {
    expect(Object.keys(CALLS).sort()).toEqual(
      creationRoutes.map(({ spec }) => spec.operationId).sort(),
    );
  });

  for (const { spec } of creationRoutes) {
    const checkedBy = spec.credentialCheck ?? "router";
    it(`is refused by ${spec.operationId} (${spec.method.toUpperCase()} ${spec.path}, checked by the ${checkedBy})`, async () => {
      const f = await fixture();
      const call = CALLS[spec.operationId]?.(f);
      if (!call) throw new Error(`no call for ${spec.operationId}`);
      const fresh = await rotate(f.creation.id);
      const before = await moneyOf(f.creation.id);

      const refused = await send(call, asCreation(f.creation.token));
      expect(refused.status).toBe(401);
      const problem = await problemOf(refused);
      expect(problem.code).toBe("TOKEN_REVOKED");
      expect(problem).toMatchObject({ token_version: 1, current_version: 2 });
      expect(await moneyOf(f.creation.id)).toEqual(before);

      const accepted = await send(call, asCreation(fresh));
      expect(accepted.status).toBe(call.status);
      if (call.code) expect((await problemOf(accepted)).code).toBe(call.code);
    });
  }
});

describe("the creation wallet's copy of the token version", () => {
  const spendWith = (creationId: string, token: string, reference: string) =>
    post(
      `/v1/creations/${creationId}/wallet/spend`,
      { amount: 1, type: "llm", reference_id: reference },
      asCreation(token),
    );

  it("refuses every spend with the old token sent after the rotation answered, even under load", async () => {
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 10_000);
    const racing = Array.from({ length: 40 }, (_, i) =>
      spendWith(creation.id, creation.token, `race-${i}`),
    );
    const fresh = await rotate(creation.id);
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) => spendWith(creation.id, creation.token, `after-${i}`)),
    );
    expect(after.map((response) => response.status)).toEqual(Array(20).fill(401));
    const raced = await Promise.all(racing);
    const spent = raced.filter((response) => response.status === 200).length;
    expect(spent + raced.filter((response) => response.status === 401).length).toBe(40);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect(audit.balance).toBe(10_000 - spent);
    expect((await spendWith(creation.id, fresh, "fresh")).status).toBe(200);
  });

  it("learns the version from the creation on first use, and heals a copy that fell behind", async () => {
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 100);
    const fresh = await rotate(creation.id);
    // As if the wallet had missed this rotation: its copy says 1, the creation says 2.
    const stub = env.WALLET.getByName(creationAccount(creation.id));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE creation_token SET version = 1");
    });
    await evictDurableObject(stub);
    // The newer token makes the wallet ask the creation, after which the old one is refused.
    expect((await spendWith(creation.id, fresh, "heal-new")).status).toBe(200);
    const old = await spendWith(creation.id, creation.token, "heal-old");
    expect(old.status).toBe(401);
    expect(await problemOf(old)).toMatchObject({
      code: "TOKEN_REVOKED",
      token_version: 1,
      current_version: 2,
    });
    expect((await expectCleanAudit(creationWallet(creation.id))).balance).toBe(99);
  });

  it("refuses the old token early, never late, when a rotation fails after telling the wallet", async () => {
    // A rotation tells the wallet first; if the creation's actor failed right after, only the
    // wallet would know version 2. The old token is then refused by the wallet (early) while the
    // creation's other routes still take it, until a retried rotation makes both agree.
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 100);
    const account = creationAccount(creation.id);
    await creationWallet(creation.id).raiseCreationTokenVersion(account, 2);
    expect((await spendWith(creation.id, creation.token, "early")).status).toBe(401);
    expect((await api("/v1/me", { headers: asCreation(creation.token) })).status).toBe(200);
    const retried = await rotate(creation.id);
    expect((await spendWith(creation.id, retried, "retried")).status).toBe(200);
    expect((await api("/v1/me", { headers: asCreation(retried) })).status).toBe(200);
    expect((await api("/v1/me", { headers: asCreation(creation.token) })).status).toBe(401);
    expect((await expectCleanAudit(creationWallet(creation.id))).balance).toBe(99);
  });

  it("only ever goes up, and only for a creation's own wallet", async () => {
    const creation = await createCreation("alice");
    const wallet = creationWallet(creation.id);
    const account = creationAccount(creation.id);
    expect(await wallet.raiseCreationTokenVersion(account, 3)).toEqual({ token_version: 3 });
    expect(await wallet.raiseCreationTokenVersion(account, 2)).toEqual({ token_version: 3 });
    await expect(wallet.raiseCreationTokenVersion(account, 0)).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
    await expect(wallet.raiseCreationTokenVersion(account, 2.5)).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
    expect(await wallet.raiseCreationTokenVersion(account, 4)).toEqual({ token_version: 4 });
    await expect(userWallet("alice").raiseCreationTokenVersion("user:alice", 2)).rejects.toThrow(
      "user:alice is not a creation's wallet.",
    );
  });
});
