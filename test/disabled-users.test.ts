import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { userAccount } from "../src/actors/wallet/account.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { USER_DISABLED_REASON_MAX_CHARS } from "../src/shared/limits.ts";
import {
  api,
  asCreation,
  bearer,
  createCreation,
  jsonInit,
  problemOf,
  userToken,
} from "./helpers.ts";
import { connectRoom } from "./room-helpers.ts";
import { asService, expectCleanAudit, post, userWallet } from "./wallet-helpers.ts";

type Status = {
  user_id: string;
  disabled: boolean;
  disabled_at: string | null;
  reason: string | null;
};

const admin = () => bearer({ sub: "root", admin: true });
const enabledStatus = (user: string): Status => ({
  user_id: user,
  disabled: false,
  disabled_at: null,
  reason: null,
});

async function disable(user: string, body?: unknown, headers?: Record<string, string>) {
  const path = `/v1/admin/users/${user}/disable`;
  const as = headers ?? (await admin());
  return api(
    path,
    body === undefined ? { method: "POST", headers: as } : jsonInit("POST", body, as),
  );
}

async function enable(user: string, headers?: Record<string, string>) {
  return api(`/v1/admin/users/${user}/enable`, {
    method: "POST",
    headers: headers ?? (await admin()),
  });
}

async function statusOf(user: string): Promise<Status> {
  const response = await api(`/v1/admin/users/${user}`, { headers: await admin() });
  expect(response.status).toBe(200);
  return (await response.json()) as Status;
}

async function expectRefused(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const problem = await problemOf(response);
  expect(problem.code).toBe(code);
  return problem;
}

type Flag = { disabled: number; seq: number } | null;

/** Both homes of the flag, read inside the actors: UserDO's row and the wallet's copy. */
async function bothCopies(user: string): Promise<{ authority: Flag; copy: Flag }> {
  const read = (state: DurableObjectState): Flag => {
    const row = state.storage.sql
      .exec<{ disabled: number; seq: number }>("SELECT disabled, seq FROM user_status")
      .toArray()[0];
    return row ? { disabled: row.disabled, seq: row.seq } : null;
  };
  const authority = await runInDurableObject(env.USER.getByName(user), (_actor, state) =>
    read(state),
  );
  const copy = await runInDurableObject(env.WALLET.getByName(userAccount(user)), (_actor, state) =>
    read(state),
  );
  return { authority, copy };
}

const balanceOf = async (user: string) => (await userWallet(user).audit()).balance;

/** A creation with a budget of 1,000 from `user` and a rat_ token for it. */
async function onBehalf(user: string) {
  const creation = await createCreation("maker");
  const asUser = await bearer({ sub: user });
  const granted = await post(
    "/v1/me/authorizations/budget",
    { creation_id: creation.id, limit: 1000, period: "total" },
    asUser,
  );
  expect(granted.status).toBe(201);
  const minted = await post("/v1/me/access-tokens", { creation_id: creation.id }, asUser);
  expect(minted.status).toBe(201);
  const { access_token } = (await minted.json()) as { access_token: string };
  const spendFor = (amount: number, reference_id: string) =>
    post(
      "/v1/me/credits/spend",
      { amount, type: "llm", reference_id, on_behalf_of_access_token: access_token },
      asCreation(creation.token),
    );
  return { creation, spendFor };
}

describe("disabled users: who may disable", () => {
  it("is for operators: a user gets 403 FORBIDDEN, a creation token 403 CREATION_SCOPE_DENIED; an admin and the platform disable, enable and read", async () => {
    const user = "olive";
    for (const headers of [await bearer({ sub: "mallory" }), await bearer({ sub: user })]) {
      await expectRefused(await disable(user, { reason: "x" }, headers), 403, "FORBIDDEN");
      await expectRefused(await enable(user, headers), 403, "FORBIDDEN");
      await expectRefused(await api(`/v1/admin/users/${user}`, { headers }), 403, "FORBIDDEN");
    }
    const creation = await createCreation("maker");
    await expectRefused(
      await disable(user, undefined, asCreation(creation.token)),
      403,
      "CREATION_SCOPE_DENIED",
    );
    expect(await statusOf(user)).toEqual(enabledStatus(user));

    const before = clock.now();
    const byAdmin = await disable(user, { reason: "chargeback" });
    expect(byAdmin.status).toBe(200);
    const disabled = (await byAdmin.json()) as Status;
    expect(disabled).toMatchObject({ user_id: user, disabled: true, reason: "chargeback" });
    const at = Date.parse(disabled.disabled_at ?? "");
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(clock.now());

    const read = await asService("GET", `/v1/admin/users/${user}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(disabled);
    const byPlatform = await asService("POST", `/v1/admin/users/${user}/enable`);
    expect(byPlatform.status).toBe(200);
    expect(await byPlatform.json()).toEqual(enabledStatus(user));
    expect(await statusOf(user)).toEqual(enabledStatus(user));
  });

  it("refuses a reason over the limit or an unknown field with 400, changing nothing", async () => {
    const user = "paula";
    const long = await disable(user, { reason: "r".repeat(USER_DISABLED_REASON_MAX_CHARS + 1) });
    expect((await expectRefused(long, 400, "INVALID_REQUEST")).detail).toBe(
      `body reason: must be at most ${USER_DISABLED_REASON_MAX_CHARS} characters`,
    );
    await expectRefused(
      await disable(user, { reason: "x", until: "never" }),
      400,
      "INVALID_REQUEST",
    );
    expect(await statusOf(user)).toEqual(enabledStatus(user));
    expect(await bothCopies(user)).toEqual({ authority: null, copy: null });
  });
});

describe("disabled users: what is refused", () => {
  it("refuses a creation's spend on a disabled user's behalf with 403 AUTH_USER_DISABLED and moves nothing; after enable the same spend goes through", async () => {
    const user = "dora";
    const { spendFor } = await onBehalf(user);
    expect((await spendFor(10, "before")).status).toBe(200);
    expect(await balanceOf(user)).toBe(3890);
    expect((await disable(user, { reason: "chargeback" })).status).toBe(200);

    const refused = await expectRefused(
      await spendFor(25, "while-disabled"),
      403,
      "AUTH_USER_DISABLED",
    );
    expect(JSON.stringify(refused)).not.toContain("chargeback"); // the reason is for operators
    expect(await balanceOf(user)).toBe(3890);

    expect((await enable(user)).status).toBe(200);
    const again = await spendFor(25, "while-disabled");
    expect(again.status).toBe(200);
    // The refusal was not recorded under the key: this is the spend itself, not a replay.
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await again.json()).toMatchObject({
      transaction: { amount: 25, delta: -25 },
      balance: 3865,
    });
    expect(await balanceOf(user)).toBe(3865);
    const listed = await api("/v1/me/authorizations", { headers: await bearer({ sub: user }) });
    expect(await listed.json()).toMatchObject([{ status: "active", spent: 35, remaining: 965 }]);
    await expectCleanAudit(userWallet(user));
  });

  it("refuses a disabled user new access tokens and budget authorizations, and grants both after enable", async () => {
    const user = "erin";
    const creation = await createCreation("maker");
    const asUser = await bearer({ sub: user });
    const disabled = await disable(user); // no body: no reason
    expect(await disabled.json()).toMatchObject({ user_id: user, disabled: true, reason: null });

    await expectRefused(
      await post("/v1/me/access-tokens", { creation_id: creation.id }, asUser),
      403,
      "AUTH_USER_DISABLED",
    );
    const budget = { creation_id: creation.id, limit: 50, period: "day" };
    await expectRefused(
      await post("/v1/me/authorizations/budget", budget, asUser),
      403,
      "AUTH_USER_DISABLED",
    );
    const none = await api("/v1/me/authorizations", { headers: asUser });
    expect(await none.json()).toEqual([]);

    expect((await enable(user)).status).toBe(200);
    expect((await post("/v1/me/access-tokens", { creation_id: creation.id }, asUser)).status).toBe(
      201,
    );
    expect((await post("/v1/me/authorizations/budget", budget, asUser)).status).toBe(201);
    const one = await api("/v1/me/authorizations", { headers: asUser });
    expect(await one.json()).toMatchObject([{ status: "active", limit: 50 }]);
  });

  it("gives a disabled user no room ticket and no WebSocket with their JWT, leaves other users alone, and lets them in again after enable", async () => {
    const { id } = await createCreation("room-owner");
    const user = "finn";
    const jwt = await userToken({ sub: user });
    const asUser = { authorization: `Bearer ${jwt}` };
    expect((await disable(user)).status).toBe(200);

    const ticket = () => api(`/v1/rooms/${id}/lobby/tickets`, { method: "POST", headers: asUser });
    await expectRefused(await ticket(), 403, "AUTH_USER_DISABLED");
    const upgrade = await api(`/v1/rooms/${id}/lobby`, {
      headers: { upgrade: "websocket", ...asUser },
    });
    expect(upgrade.webSocket).toBeNull();
    await expectRefused(upgrade, 403, "AUTH_USER_DISABLED");
    const other = await api(`/v1/rooms/${id}/lobby/tickets`, {
      method: "POST",
      headers: await bearer({ sub: "gail" }),
    });
    expect(other.status).toBe(201);

    expect((await enable(user)).status).toBe(200);
    const issued = await ticket();
    expect(issued.status).toBe(201);
    const { ticket: value } = (await issued.json()) as { ticket: string };
    const byTicket = await connectRoom(id, "lobby", { ticket: value });
    expect(byTicket.welcome().user).toMatchObject({ user_id: user });
    await byTicket.close();
    const byJwt = await connectRoom(id, "lobby", { token: jwt });
    expect(byJwt.welcome().user).toMatchObject({ user_id: user });
    await byJwt.close();
  });
});

describe("disabled users: consistency", () => {
  it("answers a repeated disable with the first disabled_at and reason, and a repeated enable with the same state", async () => {
    const user = "gus";
    const first = await disable(user, { reason: "first" });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as Status;
    expect(firstBody).toMatchObject({ disabled: true, reason: "first" });
    setTestClock(clock.now() + 60_000);
    const second = await disable(user, { reason: "second" });
    expect(await second.json()).toEqual(firstBody);
    const signed = await asService("POST", `/v1/admin/users/${user}/disable`, { reason: "third" });
    expect(await signed.json()).toEqual(firstBody);

    for (let round = 0; round < 2; round++) {
      const enabled = await enable(user);
      expect(enabled.status).toBe(200);
      expect(await enabled.json()).toEqual(enabledStatus(user));
    }
    // Five calls, five changes numbered and pushed, each agreeing with the user's actor.
    expect(await bothCopies(user)).toEqual({
      authority: { disabled: 0, seq: 5 },
      copy: { disabled: 0, seq: 5 },
    });
  });

  it("answers concurrent disables with one state: the first call's disabled_at and reason", async () => {
    const user = "hana";
    const headers = await admin();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => disable(user, { reason: `call ${index}` }, headers)),
    );
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as Status[];
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(await statusOf(user)).toEqual(bodies[0]);
    const flag = { disabled: 1, seq: 10 };
    expect(await bothCopies(user)).toEqual({ authority: flag, copy: flag });
  });

  it("ends concurrent disable and enable calls in one state that UserDO and the wallet agree on, and the wallet acts on it", async () => {
    const user = "flip";
    const { spendFor } = await onBehalf(user);
    const headers = await admin();
    const calls = 20;
    const responses = await Promise.all(
      Array.from({ length: calls }, (_, index) =>
        index % 2 === 0
          ? disable(user, { reason: `call ${index}` }, headers)
          : enable(user, headers),
      ),
    );
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as Status[];
    expect(responses.map((response) => response.status)).toEqual(Array(calls).fill(200));
    // Each call answered the state it set, whatever order the user's actor ran them in.
    expect(bodies.map((body) => body.disabled)).toEqual(
      Array.from({ length: calls }, (_, index) => index % 2 === 0),
    );

    const final = await statusOf(user);
    const flag = { disabled: Number(final.disabled), seq: calls };
    expect(await bothCopies(user)).toEqual({ authority: flag, copy: flag });
    const spend = await spendFor(5, "after-the-race");
    expect(spend.status).toBe(final.disabled ? 403 : 200);
    expect(await balanceOf(user)).toBe(final.disabled ? 3900 : 3895);
  });

  it("disables a user id never seen, who then starts disabled; reading an unknown user writes nothing", async () => {
    const ghost = `ghost-${crypto.randomUUID()}`;
    expect(await statusOf(ghost)).toEqual(enabledStatus(ghost));
    const profiles = await runInDurableObject(env.USER.getByName(ghost), (_actor, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM profile").one(),
    );
    expect(profiles.n).toBe(0);

    const disabled = await disable(ghost, { reason: "banned on the platform" });
    expect(disabled.status).toBe(200);
    expect(await disabled.json()).toMatchObject({ user_id: ghost, disabled: true });
    // The wallet holds the copy without being opened: no account, no welcome grant yet.
    expect(await bothCopies(ghost)).toEqual({
      authority: { disabled: 1, seq: 1 },
      copy: { disabled: 1, seq: 1 },
    });
    const accounts = await runInDurableObject(
      env.WALLET.getByName(userAccount(ghost)),
      (_actor, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM account").one(),
    );
    expect(accounts.n).toBe(0);

    const creation = await createCreation("maker");
    const asGhost = await bearer({ sub: ghost });
    await expectRefused(
      await post("/v1/me/access-tokens", { creation_id: creation.id }, asGhost),
      403,
      "AUTH_USER_DISABLED",
    );
    await expectRefused(
      await api(`/v1/rooms/${creation.id}/lobby/tickets`, { method: "POST", headers: asGhost }),
      403,
      "AUTH_USER_DISABLED",
    );
    const wallet = await api("/v1/me/wallet", { headers: asGhost });
    expect(await wallet.json()).toMatchObject({ balance: 3900 });
  });
});
