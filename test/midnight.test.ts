// Time-dependent rules at a simulated 00:00 UTC: the clock is moved to seconds before midnight,
// then past it, and the alarms run at the chosen instants. Nothing here waits for real time.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { creationAccount, userAccount } from "../src/actors/wallet/account.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { DAY_MS, utcDayStart } from "../src/shared/time.ts";
import { api, asCreation, bearer, createCreation } from "./helpers.ts";
import { expectCleanAudit, fundCreation, post, userWallet } from "./wallet-helpers.ts";

type Bucket = { kind: string; remaining: number; expires_at: string | null };

async function myWallet(user: string) {
  const response = await api("/v1/me/wallet", { headers: await bearer({ sub: user }) });
  return (await response.json()) as { balance: number; buckets: Bucket[]; daily_reset_at: string };
}

const byKind = (buckets: Bucket[]) =>
  Object.fromEntries(buckets.map((bucket) => [bucket.kind, bucket.remaining]));

describe("across 00:00 UTC", () => {
  it("lapses what is left of today's gift and grants tomorrow's, once", async () => {
    const midnight = utcDayStart(clock.now()) + DAY_MS;
    setTestClock(midnight - 10_000); // 23:59:50
    const user = "night-owl";
    expect(byKind((await myWallet(user)).buckets)).toEqual({ daily: 900, welcome: 3000 });
    const spent = await post(
      "/v1/me/credits/spend",
      { amount: 100, type: "main_build" },
      await bearer({ sub: user }),
    );
    expect(spent.status).toBe(200);
    const before = await myWallet(user);
    expect([before.balance, before.daily_reset_at]).toEqual([
      3800,
      new Date(midnight).toISOString(),
    ]);

    setTestClock(midnight + 1_000); // 00:00:01
    await runDurableObjectAlarm(env.WALLET.getByName(userAccount(user)));
    const after = await myWallet(user);
    expect([after.balance, byKind(after.buckets), after.daily_reset_at]).toEqual([
      3900,
      { daily: 900, welcome: 3000 },
      new Date(midnight + DAY_MS).toISOString(),
    ]);
    const page = (await (
      await api("/v1/me/wallet/transactions", { headers: await bearer({ sub: user }) })
    ).json()) as { transactions: { kind: string; amount: number }[] };
    expect(page.transactions.map((t) => [t.kind, t.amount])).toEqual([
      ["grant", 900],
      ["expire", 800],
      ["spend", 100],
      ["grant", 900],
      ["grant", 3000],
    ]);
    await expectCleanAudit(userWallet(user));
  });

  it("releases a hold that expires at midnight when the alarm runs after it, not before", async () => {
    const { id, token } = await createCreation("night-shop");
    await fundCreation(id, 100);
    const midnight = utcDayStart(clock.now()) + DAY_MS;
    setTestClock(midnight - 30_000);
    const held = await post(
      `/v1/creations/${id}/wallet/holds`,
      { amount: 60, ttl_seconds: 30 },
      asCreation(token),
    );
    const { hold } = (await held.json()) as { hold: { id: string; expires_at: string } };
    // The clock runs on from where it was set, so the hold was taken a few ms after 23:59:30.
    const expiresAt = Date.parse(hold.expires_at);
    expect(expiresAt >= midnight && expiresAt < midnight + 1_000).toBe(true);
    const wallet = env.WALLET.getByName(creationAccount(id));
    const view = async () =>
      (await (await api(`/v1/creations/${id}/wallet`, { headers: asCreation(token) })).json()) as {
        balance: number;
        held: number;
      };

    setTestClock(midnight - 1_000); // 23:59:59: not yet
    await runDurableObjectAlarm(wallet);
    expect(await view()).toMatchObject({ balance: 40, held: 60 });

    setTestClock(midnight + 1_000); // 00:00:01
    await runDurableObjectAlarm(wallet);
    expect(await view()).toMatchObject({ balance: 100, held: 0 });
  });
});
