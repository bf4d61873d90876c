import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { userAccount } from "../src/actors/wallet/account.ts";
import { mintAccessToken } from "../src/shared/access-tokens.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "../src/shared/limits.ts";
import { nextUtcMidnight } from "../src/shared/time.ts";
import { api, asCreation, bearer, createCreation, problemOf } from "./helpers.ts";
import { asService, expectCleanAudit, post, userWallet } from "./wallet-helpers.ts";

type Bucket = { kind: string; remaining: number; expires_at: string | null };
type WalletView = { balance: number; buckets: Bucket[]; daily_reset_at: string };

async function myWallet(user: string): Promise<WalletView> {
  const response = await api("/v1/me/wallet", { headers: await bearer({ sub: user }) });
  expect(response.status).toBe(200);
  return (await response.json()) as WalletView;
}

const spend = async (user: string, amount: number) =>
  post("/v1/me/credits/spend", { amount, type: "main_build" }, await bearer({ sub: user }));

const remainingByKind = (wallet: WalletView) =>
  Object.fromEntries(wallet.buckets.map((bucket) => [bucket.kind, bucket.remaining]));

describe("user wallet: grants and burn order", () => {
  it("opens with the welcome grant and today's gift, which lapses at the next 00:00 UTC", async () => {
    const wallet = await myWallet("newcomer");
    expect(wallet.balance).toBe(3900);
    expect(remainingByKind(wallet)).toEqual({ daily: 900, welcome: 3000 });
    const midnight = new Date(nextUtcMidnight(clock.now())).toISOString();
    expect(wallet.daily_reset_at).toBe(midnight);
    expect(wallet.buckets.find((bucket) => bucket.kind === "daily")?.expires_at).toBe(midnight);
  });

  it("burns today's gift, then the welcome grant and bonus credits by expiry, then paid credits", async () => {
    const user = "burner";
    await myWallet(user);
    const soon = new Date(clock.now() + 3_600_000).toISOString();
    expect(
      (await asService("POST", `/v1/users/${user}/wallet/deposit`, { amount: 500 })).status,
    ).toBe(200);
    const bonus = await asService("POST", `/v1/users/${user}/wallet/deposit`, {
      amount: 200,
      bucket: "bonus",
      expires_at: soon,
    });
    expect(bonus.status).toBe(200);
    expect((await spend(user, 1000)).status).toBe(200); // 900 daily + 100 bonus (expires first)
    expect(remainingByKind(await myWallet(user))).toEqual({ bonus: 100, welcome: 3000, paid: 500 });
    expect((await spend(user, 3050)).status).toBe(200); // 100 bonus + 2950 welcome
    expect(remainingByKind(await myWallet(user))).toEqual({ welcome: 50, paid: 500 });
    expect((await spend(user, 100)).status).toBe(200);
    expect(remainingByKind(await myWallet(user))).toEqual({ paid: 450 });
    const short = await spend(user, 451);
    expect(await problemOf(short)).toMatchObject({
      code: "INSUFFICIENT_CREDITS",
      balance: 450,
      shortfall: 1,
    });
    await expectCleanAudit(userWallet(user));
  });

  it("grants the daily gift once per UTC day, also when requests race, and lets yesterday's lapse", async () => {
    const user = "daily";
    await Promise.all(Array.from({ length: 10 }, () => myWallet(user)));
    const tomorrow = nextUtcMidnight(clock.now()) + 5_000;
    setTestClock(tomorrow);
    // Ten requests race at the boundary: one of them grants today's gift, the rest find it.
    await Promise.all(Array.from({ length: 10 }, () => myWallet(user)));
    await runDurableObjectAlarm(env.WALLET.getByName(userAccount(user))); // lapses yesterday's
    const wallet = await myWallet(user);
    expect(wallet.buckets.filter((bucket) => bucket.kind === "daily")).toEqual([
      expect.objectContaining({
        remaining: 900,
        expires_at: new Date(nextUtcMidnight(tomorrow)).toISOString(),
      }),
    ]);
    const page = (await (
      await api("/v1/me/wallet/transactions", { headers: await bearer({ sub: user }) })
    ).json()) as { transactions: { kind: string; amount: number; description: string }[] };
    expect(page.transactions.map((t) => [t.kind, t.amount, t.description])).toEqual([
      ["expire", 900, "daily credits lapsed"],
      ["grant", 900, "daily gift"],
      ["grant", 900, "daily gift"],
      ["grant", 3000, "welcome grant"],
    ]);
    await expectCleanAudit(userWallet(user));
  });
});

describe("user wallet: spending on a user's behalf", () => {
  async function setup(user: string, budget?: Record<string, unknown>) {
    const creation = await createCreation("maker");
    if (budget) {
      const granted = await post(
        "/v1/me/authorizations/budget",
        { creation_id: creation.id, ...budget },
        await bearer({ sub: user }),
      );
      expect(granted.status).toBe(201);
    }
    const minted = await post(
      "/v1/me/access-tokens",
      { creation_id: creation.id },
      await bearer({ sub: user }),
    );
    expect(minted.status).toBe(201);
    const { access_token } = (await minted.json()) as { access_token: string };
    let n = 0;
    const spendFor = (amount: number, token = access_token) =>
      post(
        "/v1/me/credits/spend",
        {
          amount,
          type: "llm",
          reference_id: `ref-${n++}-${amount}`,
          on_behalf_of_access_token: token,
        },
        asCreation(creation.token),
      );
    return { creation, access_token, spendFor };
  }

  it("mints a 30-minute rat_ token that does not show the user inside", async () => {
    const creation = await createCreation("maker");
    const response = await post(
      "/v1/me/access-tokens",
      { creation_id: creation.id },
      await bearer({ sub: "zoe" }),
    );
    const body = (await response.json()) as {
      access_token: string;
      expires_in: number;
      creation_id: string;
    };
    expect(body).toMatchObject({ creation_id: creation.id, expires_in: ACCESS_TOKEN_TTL_SECONDS });
    // rat_ + a compact JWE (dir + A256GCM): header, no wrapped key, iv, ciphertext, tag.
    expect(body.access_token).toMatch(/^rat_[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const decoded = body.access_token
      .slice(4)
      .split(".")
      .map((part) => atob(part.replace(/-/g, "+").replace(/_/g, "/")))
      .join("");
    expect(decoded).toContain("A256GCM");
    expect(decoded).not.toContain("zoe");
    const unknown = await post(
      "/v1/me/access-tokens",
      { creation_id: crypto.randomUUID() },
      await bearer(),
    );
    expect((await problemOf(unknown)).code).toBe("CREATION_NOT_FOUND");
  });

  it("spends inside the budget and names AUTH_BUDGET_EXCEEDED with what is left", async () => {
    const { spendFor } = await setup("ursula", { limit: 100, period: "day" });
    const first = await spendFor(60);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      transaction: { amount: 60, delta: -60 },
      balance: 3840,
    });
    const over = await spendFor(50);
    expect(await problemOf(over)).toMatchObject({
      code: "AUTH_BUDGET_EXCEEDED",
      status: 403,
      limit: 100,
      spent: 60,
      remaining: 40,
      period: "day",
      period_resets_at: new Date(nextUtcMidnight(clock.now())).toISOString(),
    });
    expect((await spendFor(40)).status).toBe(200);
    const listed = (await (
      await api("/v1/me/authorizations", { headers: await bearer({ sub: "ursula" }) })
    ).json()) as { spent: number; remaining: number; status: string }[];
    expect(listed).toMatchObject([{ spent: 100, remaining: 0, status: "active" }]);
    await expectCleanAudit(userWallet("ursula"));
  });

  it("lets exactly the budget through when a creation spends concurrently", async () => {
    const { spendFor } = await setup("vic", { limit: 200, period: "total" });
    const responses = await Promise.all(Array.from({ length: 50 }, () => spendFor(10)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(20);
    expect(responses.filter((response) => response.status === 403)).toHaveLength(30);
    const audit = await expectCleanAudit(userWallet("vic"));
    expect(audit.balance).toBe(3900 - 200);
  });

  it("denies with a specific code: no token, bad token, expired, wrong creation, none, revoked, expired budget", async () => {
    const { creation, spendFor, access_token } = await setup("walt");
    const codeOf = async (response: Response) => (await problemOf(response)).code;

    const noToken = await post(
      "/v1/me/credits/spend",
      { amount: 1, type: "x", reference_id: "r" },
      asCreation(creation.token),
    );
    expect(await codeOf(noToken)).toBe("CREATION_SCOPE_DENIED");
    expect(await codeOf(await spendFor(1, `rat_${"A".repeat(60)}`))).toBe("AUTH_TOKEN_INVALID");
    const old = await mintAccessToken(
      env.TOKEN_SECRET,
      "walt",
      creation.id,
      Math.floor(clock.now() / 1000) - 1801,
    );
    expect(await codeOf(await spendFor(1, old.token))).toBe("AUTH_TOKEN_EXPIRED");
    const other = await createCreation("maker");
    const foreign = await mintAccessToken(env.TOKEN_SECRET, "walt", other.id);
    expect(await codeOf(await spendFor(1, foreign.token))).toBe("AUTH_WRONG_CREATION");
    expect(await codeOf(await spendFor(1))).toBe("AUTH_NO_AUTHORIZATION");

    const grant = async (extra: Record<string, unknown> = {}) =>
      (await (
        await post(
          "/v1/me/authorizations/budget",
          { creation_id: creation.id, limit: 50, period: "month", ...extra },
          await bearer({ sub: "walt" }),
        )
      ).json()) as { id: string };
    const { id } = await grant();
    expect((await spendFor(1)).status).toBe(200);
    const revoked = await api(`/v1/me/authorizations/${id}`, {
      method: "DELETE",
      headers: await bearer({ sub: "walt" }),
    });
    expect(await revoked.json()).toMatchObject({ status: "revoked", spent: 1 });
    expect(await codeOf(await spendFor(1))).toBe("AUTH_AUTHORIZATION_REVOKED");

    await grant({ expires_at: new Date(clock.now() + 1000).toISOString() });
    setTestClock(clock.now() + 1_100); // past the expiry, on the clock: no waiting
    expect(await codeOf(await spendFor(1))).toBe("AUTH_AUTHORIZATION_EXPIRED");

    const missingReference = await post(
      "/v1/me/credits/spend",
      { amount: 1, type: "x", on_behalf_of_access_token: access_token },
      asCreation(creation.token),
    );
    expect((await problemOf(missingReference)).detail).toBe(
      "body reference_id: required when spending for a user",
    );
    const audit = await expectCleanAudit(userWallet("walt"));
    expect(audit.balance).toBe(3899);
  });

  it("is 402 INSUFFICIENT_CREDITS when the budget allows more than the wallet holds", async () => {
    const { spendFor } = await setup("xena", { limit: 10_000, period: "total" });
    const response = await spendFor(5000);
    expect(await problemOf(response)).toMatchObject({
      code: "INSUFFICIENT_CREDITS",
      balance: 3900,
      required: 5000,
    });
  });

  it("keeps a user's wallet and budgets from other users and creations", async () => {
    const creation = await createCreation("maker");
    const denied = await api("/v1/users/yan/wallet", { headers: await bearer({ sub: "yan" }) });
    expect((await problemOf(denied)).code).toBe("FORBIDDEN");
    const byCreation = await api("/v1/me/wallet", { headers: asCreation(creation.token) });
    expect((await problemOf(byCreation)).code).toBe("CREATION_SCOPE_DENIED");
    const deposit = await post(
      "/v1/users/yan/wallet/deposit",
      { amount: 5 },
      await bearer({ sub: "yan" }),
    );
    expect((await problemOf(deposit)).code).toBe("FORBIDDEN");

    // A budget lives in its user's wallet: another user cannot see or revoke it.
    const granted = (await (
      await post(
        "/v1/me/authorizations/budget",
        { creation_id: creation.id, limit: 10, period: "total" },
        await bearer({ sub: "yan" }),
      )
    ).json()) as { id: string };
    const revoke = await api(`/v1/me/authorizations/${granted.id}`, {
      method: "DELETE",
      headers: await bearer({ sub: "zed" }),
    });
    expect((await problemOf(revoke)).code).toBe("AUTHORIZATION_NOT_FOUND");
    const othersList = await api("/v1/me/authorizations", {
      headers: await bearer({ sub: "zed" }),
    });
    expect(await othersList.json()).toEqual([]);
    const mine = await api("/v1/me/authorizations", { headers: await bearer({ sub: "yan" }) });
    expect(await mine.json()).toMatchObject([{ id: granted.id, status: "active" }]);
  });

  it("refuses a budget or a deposit that would already have expired, naming the field", async () => {
    const creation = await createCreation("maker");
    const past = new Date(clock.now() - 1000).toISOString();
    const budget = await post(
      "/v1/me/authorizations/budget",
      { creation_id: creation.id, limit: 10, period: "day", expires_at: past },
      await bearer({ sub: "quinn" }),
    );
    expect(budget.status).toBe(400);
    expect((await problemOf(budget)).detail).toBe("body expires_at: must be in the future");
    const deposit = await asService("POST", "/v1/users/quinn/wallet/deposit", {
      amount: 5,
      bucket: "bonus",
      expires_at: past,
    });
    expect((await problemOf(deposit)).detail).toBe("body expires_at: must be in the future");
    expect(
      await (
        await api("/v1/me/authorizations", { headers: await bearer({ sub: "quinn" }) })
      ).json(),
    ).toEqual([]);
  });
});
