// Usage metering (seed 002) end to end through the router: tiers, tracking to the limit with
// the seed's exact bodies, exact limits under concurrency, the per-minute rate limit with its
// headers, idempotency, the month rollover, plan changes, test and live keys, a page's
// publishable key with the user's JWT, and the month's summary.

import { describe, expect, it } from "vitest";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { nextUtcMonthStart } from "../src/shared/time.ts";
import { api, asCreation, bearer, jsonInit, problemOf, serviceHeaders } from "./helpers.ts";
import {
  createKey,
  meteredCreation,
  startOfAMinute,
  track,
  trackAs,
  type UsageBody,
  usageOf,
  usagePath,
} from "./usage-helpers.ts";

const unlimitedRate = { rate_limit_per_minute: 100_000 };

describe("tiers", () => {
  it("start as seed 002's free 5 and paid 500, and can be replaced", async () => {
    const creation = await meteredCreation("tier-owner");
    const defaults = await api(`/v1/creations/${creation.id}/tiers`, {
      headers: asCreation(creation.token),
    });
    expect(defaults.status).toBe(200);
    const listed = (await defaults.json()) as { tiers: { id: string; limit: number }[] };
    expect(listed).toMatchObject({ default_plan: "free", defaults: true });
    expect(listed.tiers.map(({ id, limit }) => [id, limit])).toEqual([
      ["free", 5],
      ["paid", 500],
    ]);

    const put = await api(
      `/v1/creations/${creation.id}/tiers`,
      jsonInit(
        "PUT",
        {
          tiers: [
            { id: "hobby", name: "Hobby", price: 0, limit: 10, features: ["10 calls"] },
            {
              id: "pro",
              name: "Pro",
              price: 29,
              limit: null,
              popular: true,
              stripe_price_id: "price_123",
            },
          ],
        },
        await bearer({ sub: "tier-owner" }),
      ),
    );
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({
      default_plan: "hobby",
      defaults: false,
      tiers: [
        {
          id: "hobby",
          name: "Hobby",
          price: 0,
          limit: 10,
          features: ["10 calls"],
          popular: false,
          stripe_price_id: null,
          rate_limit_per_minute: null,
        },
        {
          id: "pro",
          name: "Pro",
          price: 29,
          limit: null,
          features: [],
          popular: true,
          stripe_price_id: "price_123",
          rate_limit_per_minute: null,
        },
      ],
    });
  });

  it("refuse repeated ids, no tiers, bad limits and prototype names, changing nothing", async () => {
    const creation = await meteredCreation("tier-owner");
    const owner = await bearer({ sub: "tier-owner" });
    const bad = [
      { tiers: [] },
      {
        tiers: [
          { id: "a", name: "A", price: 0, limit: 1 },
          { id: "a", name: "B", price: 0, limit: 2 },
        ],
      },
      { tiers: [{ id: "a", name: "A", price: 0, limit: -1 }] },
      { tiers: [{ id: "a", name: "A", price: 0, limit: 1.5 }] },
      { tiers: [{ id: "__proto__", name: "A", price: 0, limit: 1 }] },
      { tiers: [{ id: "a", name: "A", price: "0", limit: 1 }] },
      { tiers: { 0: { id: "a", name: "A", price: 0, limit: 1 } } },
      { tiers: [{ id: "a", name: "A", price: 0, limit: 1, rate_limit_per_minute: 0 }] },
    ];
    for (const body of bad) {
      const response = await api(
        `/v1/creations/${creation.id}/tiers`,
        jsonInit("PUT", body, owner),
      );
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_REQUEST");
    }
    const listed = await api(`/v1/creations/${creation.id}/tiers`, { headers: owner });
    expect(await listed.json()).toMatchObject({ defaults: true, default_plan: "free" });
  });

  it("are not another user's to set", async () => {
    const creation = await meteredCreation("tier-owner");
    const response = await api(
      `/v1/creations/${creation.id}/tiers`,
      jsonInit(
        "PUT",
        { tiers: [{ id: "a", name: "A", price: 0, limit: 1 }] },
        await bearer({ sub: "mallory" }),
      ),
    );
    expect(response.status).toBe(403);
    expect((await problemOf(response)).code).toBe("FORBIDDEN");
  });
});

describe("tracking", () => {
  it("answers seed 002's shapes: five free calls, then 403 with the seed's members", async () => {
    const creation = await meteredCreation("seed-owner");
    const period = new Date(clock.now()).toISOString().slice(0, 7);
    const lastDay = new Date(nextUtcMonthStart(clock.now()) - 1).toISOString().slice(0, 10);
    for (let call = 1; call <= 5; call++) {
      const response = await trackAs(creation, { user_id: "user_yyy" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        success: true,
        usage: {
          count: call,
          limit: 5,
          remaining: 5 - call,
          plan: "free",
          periodStart: `${period}-01`,
          periodEnd: lastDay,
        },
      });
    }
    const refused = await trackAs(creation, { user_id: "user_yyy" });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      code: "TIER_LIMIT_REACHED",
      error: "Tier limit reached",
      usageCount: 5,
      limit: 5,
      message: "Please upgrade to unlock more requests",
    });
    expect((await usageOf(creation, "user_yyy")).count).toBe(5);
  });

  it("counts exactly 100 of 150 concurrent calls at a limit of 100", async () => {
    const creation = await meteredCreation("race-owner", [
      { id: "capped", name: "Capped", price: 0, limit: 100, ...unlimitedRate },
    ]);
    const responses = await Promise.all(
      Array.from({ length: 150 }, () => trackAs(creation, { user_id: "racer" })),
    );
    const ok = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 403);
    expect(ok).toHaveLength(100);
    expect(refused).toHaveLength(50);
    const counts = await Promise.all(
      ok.map(async (response) => ((await response.json()) as { usage: UsageBody }).usage.count),
    );
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const response of refused) {
      expect(await response.json()).toMatchObject({
        code: "TIER_LIMIT_REACHED",
        error: "Tier limit reached",
        usageCount: 100,
        limit: 100,
        message: "Please upgrade to unlock more requests",
      });
    }
    expect((await usageOf(creation, "racer")).count).toBe(100);
  });

  it("takes the platform's service signature, and a scoped key only with usage:track", async () => {
    const creation = await meteredCreation("signed-owner");
    const path = `${usagePath(creation.id)}/track`;
    const body = JSON.stringify({ user_id: "s" });
    const signed = await api(path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(await serviceHeaders("POST", path, body)),
      },
      body,
    });
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as { usage: UsageBody }).usage.count).toBe(1);

    const reader = await createKey(creation.id, "signed-owner", {
      kind: "secret",
      mode: "live",
      name: "reader",
      scopes: ["usage:read"],
    });
    const denied = await track(creation.id, { "x-api-key": reader.key }, { user_id: "s" });
    expect(denied.status).toBe(403);
    expect((await problemOf(denied)).code).toBe("KEY_SCOPE_DENIED");
    const read = await api(`${usagePath(creation.id)}/s`, { headers: { "x-api-key": reader.key } });
    expect(((await read.json()) as { usage: UsageBody }).usage.count).toBe(1);
  });

  it("counts a quantity all or nothing", async () => {
    const creation = await meteredCreation("qty-owner", [
      { id: "small", name: "Small", price: 0, limit: 10 },
    ]);
    expect((await trackAs(creation, { user_id: "u", quantity: 7 })).status).toBe(200);
    const over = await trackAs(creation, { user_id: "u", quantity: 4 });
    expect(over.status).toBe(403);
    expect(await over.json()).toMatchObject({ usageCount: 7, limit: 10 });
    const fits = await trackAs(creation, { user_id: "u", quantity: 3 });
    expect(((await fits.json()) as { usage: UsageBody }).usage).toMatchObject({
      count: 10,
      remaining: 0,
    });
  });

  it("meters each meter separately against the tier's limit", async () => {
    const creation = await meteredCreation("meter-owner");
    for (let i = 0; i < 5; i++) await trackAs(creation, { user_id: "m" });
    const images = await trackAs(creation, { user_id: "m", meter: "images" });
    expect(images.status).toBe(200);
    expect(((await images.json()) as { usage: UsageBody }).usage.count).toBe(1);
    expect((await usageOf(creation, "m", "?meter=images")).count).toBe(1);
    expect((await usageOf(creation, "m")).count).toBe(5);
  });

  it("counts one call per idempotency key, also when the retries race", async () => {
    const creation = await meteredCreation("idem-owner", [
      { id: "t", name: "T", price: 0, limit: 50, ...unlimitedRate },
    ]);
    const first = await trackAs(creation, { user_id: "i", idempotency_key: "call-1" });
    const firstBody = await first.json();
    const retries = await Promise.all(
      Array.from({ length: 10 }, () =>
        trackAs(creation, { user_id: "i", idempotency_key: "call-1" }),
      ),
    );
    for (const retry of retries) {
      expect(retry.status).toBe(200);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await retry.json()).toEqual(firstBody);
    }
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        trackAs(creation, { user_id: "i", idempotency_key: "call-2" }),
      ),
    );
    const bodies = await Promise.all(racing.map((response) => response.json()));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    expect((await usageOf(creation, "i")).count).toBe(2);

    const reused = await trackAs(creation, {
      user_id: "i",
      idempotency_key: "call-1",
      quantity: 2,
    });
    expect(reused.status).toBe(422);
    expect((await problemOf(reused)).code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect((await usageOf(creation, "i")).count).toBe(2);
  });

  it("refuses hostile input with 400 and counts nothing", async () => {
    const creation = await meteredCreation("hostile-owner");
    const bodies = [
      {},
      { user_id: "" },
      { user_id: "has space" },
      { user_id: "x".repeat(129) },
      { user_id: 42 },
      { user_id: "u", quantity: 0 },
      { user_id: "u", quantity: 1.5 },
      { user_id: "u", quantity: "1" },
      { user_id: "u", meter: "__proto__" },
      { user_id: "u", meter: "Api-Calls" },
      { user_id: "u", idempotency_key: "" },
      { user_id: "u", extra: true },
      ["user_id", "u"],
    ];
    for (const body of bodies) {
      const response = await trackAs(creation, body as Record<string, unknown>);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_REQUEST");
    }
    expect((await usageOf(creation, "u")).count).toBe(0);
  });
});

describe("the per-minute rate limit", () => {
  it("passes exactly 100 of 150 concurrent calls, and 429s the rest with every header", async () => {
    const creation = await meteredCreation("rate-owner", [
      { id: "open", name: "Open", price: 0, limit: null },
    ]);
    const windowEnd = startOfAMinute();
    const before = clock.now();
    const responses = await Promise.all(
      Array.from({ length: 150 }, () => trackAs(creation, { user_id: "burst" })),
    );
    const after = clock.now();
    const ok = responses.filter((response) => response.status === 200);
    const limited = responses.filter((response) => response.status === 429);
    expect(ok).toHaveLength(100);
    expect(limited).toHaveLength(50);

    const latest = Math.ceil((windowEnd - before) / 1000);
    const earliest = Math.ceil((windowEnd - after) / 1000);
    const remaining = ok.map((response) => Number(response.headers.get("x-ratelimit-remaining")));
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const response of ok) {
      expect(response.headers.get("ratelimit-policy")).toBe('"user";q=100;w=60');
      expect(response.headers.get("ratelimit")).toMatch(/^"user";r=\d+;t=\d+$/);
      expect(response.headers.get("retry-after")).toBeNull();
    }
    for (const response of limited) {
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(earliest);
      expect(retryAfter).toBeLessThanOrEqual(latest);
      expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(response.headers.get("x-ratelimit-reset")).toBe(String(retryAfter));
      expect(response.headers.get("ratelimit-policy")).toBe('"user";q=100;w=60');
      expect(response.headers.get("ratelimit")).toBe(`"user";r=0;t=${retryAfter}`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        status: 429,
        code: "RATE_LIMIT_EXCEEDED",
        error: "Rate limit exceeded. Try again in 1 minute.",
      });
    }
    // A refused call is not metered, and the next minute opens a new window.
    expect((await usageOf(creation, "burst")).count).toBe(100);
    setTestClock(windowEnd + 1_000);
    const next = await trackAs(creation, { user_id: "burst" });
    expect(next.status).toBe(200);
    expect(next.headers.get("x-ratelimit-remaining")).toBe("99");
  });

  it("is per user, and a tier may set its own", async () => {
    const creation = await meteredCreation("rate-owner", [
      { id: "slow", name: "Slow", price: 0, limit: null, rate_limit_per_minute: 3 },
      { id: "fast", name: "Fast", price: 0, limit: null, rate_limit_per_minute: 5 },
    ]);
    startOfAMinute();
    const statuses = async (user: string, n: number) =>
      (
        await Promise.all(Array.from({ length: n }, () => trackAs(creation, { user_id: user })))
      ).map((response) => response.status);
    expect((await statuses("a", 5)).sort()).toEqual([200, 200, 200, 429, 429]);
    expect((await statuses("b", 3)).sort()).toEqual([200, 200, 200]);
    const plan = await api(
      `/v1/creations/${creation.id}/users/c/plan`,
      jsonInit("PUT", { plan: "fast" }, asCreation(creation.token)),
    );
    expect(plan.status).toBe(200);
    expect((await statuses("c", 6)).sort()).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe("periods and plans", () => {
  it("starts a new month from zero on its first call, keeping the old month's figures", async () => {
    const creation = await meteredCreation("month-owner");
    const monthEnd = nextUtcMonthStart(clock.now());
    setTestClock(monthEnd - 2_000);
    const oldPeriod = new Date(monthEnd - 1).toISOString().slice(0, 7);
    for (let i = 0; i < 5; i++)
      expect((await trackAs(creation, { user_id: "m" })).status).toBe(200);
    expect((await trackAs(creation, { user_id: "m" })).status).toBe(403);

    setTestClock(monthEnd + 1_000);
    const fresh = await trackAs(creation, { user_id: "m" });
    expect(fresh.status).toBe(200);
    const newPeriod = new Date(monthEnd).toISOString().slice(0, 7);
    expect(((await fresh.json()) as { usage: UsageBody }).usage).toMatchObject({
      count: 1,
      remaining: 4,
      periodStart: `${newPeriod}-01`,
    });
    const old = await api(`${usagePath(creation.id)}?period=${oldPeriod}`, {
      headers: asCreation(creation.token),
    });
    expect(await old.json()).toMatchObject({ period: oldPeriod, total: 5, unique_users: 1 });
  });

  it("keeps the month's count when the plan changes, and applies the new limit", async () => {
    const creation = await meteredCreation("plan-owner");
    for (let i = 0; i < 5; i++) await trackAs(creation, { user_id: "upgrader" });
    expect((await trackAs(creation, { user_id: "upgrader" })).status).toBe(403);
    const set = await api(
      `/v1/creations/${creation.id}/users/upgrader/plan`,
      jsonInit("PUT", { plan: "paid" }, asCreation(creation.token)),
    );
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({
      success: true,
      user_id: "upgrader",
      plan: "paid",
      usage: { count: 5, limit: 500, remaining: 495, plan: "paid" },
    });
    const after = await trackAs(creation, { user_id: "upgrader" });
    expect(((await after.json()) as { usage: UsageBody }).usage).toMatchObject({
      count: 6,
      limit: 500,
      plan: "paid",
    });
    const unknown = await api(
      `/v1/creations/${creation.id}/users/upgrader/plan`,
      jsonInit("PUT", { plan: "gold" }, asCreation(creation.token)),
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "PLAN_NOT_FOUND", plans: ["free", "paid"] });
  });

  it("falls back to the first tier when a user's tier is removed", async () => {
    const creation = await meteredCreation("removed-owner");
    await api(
      `/v1/creations/${creation.id}/users/u/plan`,
      jsonInit("PUT", { plan: "paid" }, asCreation(creation.token)),
    );
    await api(
      `/v1/creations/${creation.id}/tiers`,
      jsonInit(
        "PUT",
        { tiers: [{ id: "basic", name: "Basic", price: 0, limit: 2 }] },
        await bearer({ sub: "removed-owner" }),
      ),
    );
    expect(await usageOf(creation, "u")).toMatchObject({ plan: "basic", limit: 2 });
  });
});

describe("keys and modes", () => {
  it("counts test keys and live keys separately, and a key cannot read the other mode", async () => {
    const creation = await meteredCreation("mode-owner");
    const live = await createKey(creation.id, "mode-owner", {
      kind: "secret",
      mode: "live",
      name: "l",
    });
    const test = await createKey(creation.id, "mode-owner", {
      kind: "secret",
      mode: "test",
      name: "t",
    });
    for (let i = 0; i < 3; i++) {
      expect((await track(creation.id, { "x-api-key": test.key }, { user_id: "u" })).status).toBe(
        200,
      );
    }
    const liveCall = await track(
      creation.id,
      { authorization: `Bearer ${live.key}` },
      { user_id: "u" },
    );
    expect(((await liveCall.json()) as { usage: UsageBody }).usage.count).toBe(1);
    const testSummary = await api(usagePath(creation.id), { headers: { "x-api-key": test.key } });
    expect(await testSummary.json()).toMatchObject({ mode: "test", total: 3 });
    const crossed = await api(`${usagePath(creation.id)}?mode=live`, {
      headers: { "x-api-key": test.key },
    });
    expect(crossed.status).toBe(403);
    expect((await problemOf(crossed)).code).toBe("KEY_MODE_MISMATCH");
    const ownerLive = await api(usagePath(creation.id), {
      headers: await bearer({ sub: "mode-owner" }),
    });
    expect(await ownerLive.json()).toMatchObject({ mode: "live", total: 1 });
  });

  it("lets a page track only its signed-in user, with the publishable key and the user's JWT", async () => {
    const creation = await meteredCreation("page-owner");
    const page = await createKey(creation.id, "page-owner", {
      kind: "publishable",
      mode: "live",
      name: "site",
      allowed_origins: ["https://app.example"],
    });
    const headers = async (sub?: string) => ({
      "x-publishable-key": page.key,
      origin: "https://app.example",
      ...(sub ? await bearer({ sub }) : {}),
    });
    const own = await track(creation.id, await headers("visitor"), {});
    expect(own.status).toBe(200);
    expect(((await own.json()) as { usage: UsageBody }).usage.count).toBe(1);
    const named = await track(creation.id, await headers("visitor"), { user_id: "visitor" });
    expect(named.status).toBe(200);

    const other = await track(creation.id, await headers("visitor"), { user_id: "someone-else" });
    expect(other.status).toBe(403);
    expect((await problemOf(other)).code).toBe("FORBIDDEN");
    const anonymous = await track(creation.id, await headers(), { user_id: "visitor" });
    expect(anonymous.status).toBe(401);
    const noKey = await track(creation.id, await bearer({ sub: "visitor" }), {
      user_id: "visitor",
    });
    expect(noKey.status).toBe(403);
    const elsewhere = await track(
      creation.id,
      { ...(await headers("visitor")), origin: "https://evil.example" },
      {},
    );
    expect(elsewhere.status).toBe(403);
    expect((await problemOf(elsewhere)).code).toBe("ORIGIN_NOT_ALLOWED");

    const mine = await api(`${usagePath(creation.id)}/visitor`, {
      headers: await headers("visitor"),
    });
    expect(await mine.json()).toEqual({
      success: true,
      usage: expect.objectContaining({ count: 2, limit: 5, plan: "free" }),
    });
    const theirs = await api(`${usagePath(creation.id)}/someone-else`, {
      headers: await headers("visitor"),
    });
    expect(theirs.status).toBe(403);
    const pricing = await api(`/v1/creations/${creation.id}/tiers`, {
      headers: { "x-publishable-key": page.key, origin: "https://app.example" },
    });
    expect(pricing.status).toBe(200);
    const bare = await api(`/v1/creations/${creation.id}/tiers`);
    expect(bare.status).toBe(401);

    const revoked = await api(`/v1/creations/${creation.id}/keys/${page.id}`, {
      method: "DELETE",
      headers: await bearer({ sub: "page-owner" }),
    });
    expect(revoked.status).toBe(204);
    const after = await track(creation.id, await headers("visitor"), {});
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe("KEY_REVOKED");
    expect((await usageOf(creation, "visitor")).count).toBe(2);
  });
});

describe("the month's summary", () => {
  it("adds up per day, per tier and per user, pages the top users, and refuses bad cursors", async () => {
    const creation = await meteredCreation("summary-owner", [
      { id: "free", name: "Free", price: 0, limit: 100, ...unlimitedRate },
      { id: "pro", name: "Pro", price: 9, limit: 1000, ...unlimitedRate },
    ]);
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    await api(
      `/v1/creations/${creation.id}/users/ann/plan`,
      jsonInit("PUT", { plan: "pro" }, asCreation(creation.token)),
    );
    const calls: Record<string, number> = { ann: 7, bob: 5, cat: 5, dan: 1 };
    for (const [user, n] of Object.entries(calls)) {
      expect((await trackAs(creation, { user_id: user, quantity: n })).status).toBe(200);
    }
    const owner = await bearer({ sub: "summary-owner" });
    const first = await api(`${usagePath(creation.id)}?limit=2`, { headers: owner });
    expect(first.status).toBe(200);
    const summary = (await first.json()) as {
      total: number;
      unique_users: number;
      by_day: { day: string; count: number; tiers: { plan: string; count: number }[] }[];
      by_tier: unknown[];
      top_users: unknown[];
      next_cursor: string | null;
    };
    expect(summary).toMatchObject({
      creation_id: creation.id,
      mode: "live",
      total: 18,
      unique_users: 4,
    });
    const daysInMonth = new Date(nextUtcMonthStart(clock.now()) - 1).getUTCDate();
    expect(summary.by_day).toHaveLength(daysInMonth);
    expect(summary.by_day.map((entry) => Number(entry.day.slice(8)))).toEqual(
      Array.from({ length: daysInMonth }, (_, i) => i + 1),
    );
    expect(summary.by_day.filter((entry) => entry.count > 0)).toEqual([
      {
        day,
        count: 18,
        tiers: [
          { plan: "free", count: 11 },
          { plan: "pro", count: 7 },
        ],
      },
    ]);
    expect(summary.by_tier).toEqual([
      { plan: "free", name: "Free", count: 11, users: 3 },
      { plan: "pro", name: "Pro", count: 7, users: 1 },
    ]);
    expect(summary.top_users).toEqual([
      { user_id: "ann", plan: "pro", count: 7 },
      { user_id: "bob", plan: "free", count: 5 },
    ]);
    const second = await api(`${usagePath(creation.id)}?limit=2&cursor=${summary.next_cursor}`, {
      headers: owner,
    });
    expect(await second.json()).toMatchObject({
      top_users: [
        { user_id: "cat", plan: "free", count: 5 },
        { user_id: "dan", plan: "free", count: 1 },
      ],
      next_cursor: null,
    });
    // Years before 100 are years, not 1900-1999.
    const ancient = await api(`${usagePath(creation.id)}?period=0042-02`, { headers: owner });
    expect(await ancient.json()).toMatchObject({
      period: "0042-02",
      periodStart: "0042-02-01",
      periodEnd: "0042-02-28",
      total: 0,
    });
    for (const cursor of ["nope", "W10", "WyItMSIsImEiXQ", "%00"]) {
      const bad = await api(`${usagePath(creation.id)}?cursor=${cursor}`, { headers: owner });
      expect(bad.status, cursor).toBe(400);
    }
    const stranger = await api(usagePath(creation.id), { headers: await bearer({ sub: "eve" }) });
    expect(stranger.status).toBe(403);
  });
});

describe("seed 002's developer surface", () => {
  it("registers a signed-in developer, meters with the key, regenerates it and reads usage", async () => {
    const registered = await api(
      "/v1/developer/register",
      jsonInit("POST", { name: "My API" }, await bearer({ sub: "dev-1" })),
    );
    expect(registered.status).toBe(201);
    const body = (await registered.json()) as { platformId: string; apiKey: string };
    expect(body).toMatchObject({
      success: true,
      message: "Developer registered successfully. Save your API key - it will not be shown again.",
    });
    expect(body.apiKey).toMatch(/^sk_live_/);
    const withKey = (key: string) => ({ authorization: `Bearer ${key}` });
    expect((await track(body.platformId, withKey(body.apiKey), { user_id: "e1" })).status).toBe(
      200,
    );

    const regenerated = await api("/v1/developer/regenerate-key", {
      method: "POST",
      headers: withKey(body.apiKey),
    });
    expect(regenerated.status).toBe(201);
    const fresh = (await regenerated.json()) as { apiKey: string; platformId: string };
    expect(fresh.platformId).toBe(body.platformId);
    const old = await track(body.platformId, withKey(body.apiKey), { user_id: "e1" });
    expect(old.status).toBe(401);
    expect((await problemOf(old)).code).toBe("KEY_REVOKED");
    expect((await track(body.platformId, withKey(fresh.apiKey), { user_id: "e2" })).status).toBe(
      200,
    );

    const usage = await api("/v1/developer/usage", { headers: withKey(fresh.apiKey) });
    expect(await usage.json()).toMatchObject({
      creation_id: body.platformId,
      total: 2,
      unique_users: 2,
    });
    const anonymous = await api("/v1/developer/register", jsonInit("POST", {}));
    expect(anonymous.status).toBe(401);
    const owned = await api(`/v1/creations/${body.platformId}`, {
      headers: await bearer({ sub: "dev-1" }),
    });
    expect(await owned.json()).toMatchObject({ owner: "dev-1", name: "My API" });
  });
});
