import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { createApp } from "../src/router/app.ts";
import { apiRoutes } from "../src/router/routes/index.ts";
import { clock } from "../src/shared/clock.ts";
import { hmacSha256, toHex } from "../src/shared/crypto.ts";
import { nextUtcMidnight } from "../src/shared/time.ts";
import { api, bearer, eventually, ORIGIN, problemOf } from "./helpers.ts";
import { asService, expectCleanAudit, userWallet } from "./wallet-helpers.ts";

const consume = (
  userId: string,
  seconds: number,
  reference_id: string,
  extra: Record<string, unknown> = {},
) =>
  asService("POST", "/v1/billing/consume", {
    userId,
    operationType: "main_build",
    seconds,
    reference_id,
    ...extra,
  });

describe("seed 001: GET /v1/billing/balance/:userId", () => {
  it("answers the seed's shape: buckets in seconds, usage, and the next reset", async () => {
    await asService("POST", "/v1/users/sam/wallet/deposit", { amount: 7200 });
    expect((await consume("sam", 300, "b-1")).status).toBe(200);
    const response = await asService("GET", "/v1/billing/balance/sam");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      balance: { welcomeBonus: 3000, dailyGift: 600, paid: 7200, total: 10800 },
      usage: { todayUsed: 300, lifetimeUsed: 300 },
      dailyResetAt: new Date(nextUtcMidnight(clock.now())).toISOString(),
    });
  });

  it("is for the platform only", async () => {
    const anonymous = await createApp(apiRoutes).fetch(
      new Request(`${ORIGIN}/v1/billing/balance/sam`),
      env,
    );
    expect((await problemOf(anonymous)).code).toBe("UNAUTHENTICATED");
    const user = await api("/v1/billing/balance/sam", { headers: await bearer({ sub: "sam" }) });
    expect(user.status).toBe(403);
    expect((await problemOf(user)).code).toBe("FORBIDDEN");
  });
});

describe("seed 001: POST /v1/billing/consume", () => {
  it("debits once per reference_id and answers 402 insufficient_ai_time in the seed's body", async () => {
    const first = await consume("tia", 3800, "c-1");
    const replay = await consume("tia", 3800, "c-1");
    expect(first.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toMatchObject({
      success: true,
      consumed: 3800,
      balance: { total: 100 },
    });
    const short = await consume("tia", 180, "c-2");
    expect(short.status).toBe(402);
    expect(await short.json()).toEqual({
      error: "insufficient_ai_time",
      message: "Insufficient AI time balance to start build",
      balance: { welcomeBonus: 100, dailyGift: 0, paid: 0, total: 100 },
      estimate: { estimatedSeconds: 180 },
      required: 180,
    });
    await expectCleanAudit(userWallet("tia"));
  });

  it("is 400 naming the field for a bad body", async () => {
    const response = await asService("POST", "/v1/billing/consume", {
      userId: "tia",
      operationType: "nap",
      seconds: 5,
      reference_id: "x",
    });
    expect((await problemOf(response)).detail).toMatch(/^body operationType: /);
  });
});

describe("seed 001: POST /v1/billing/check-sufficient", () => {
  it("estimates from recorded samples of the same type and size, and recommends a package", async () => {
    for (const [index, seconds] of [100, 120, 140, 160, 180, 200].entries()) {
      await consume("builder", seconds, `s-${index}`, {
        operationType: "metadata_generation",
        projectSize: "large",
      });
    }
    await consume("builder", 5, "s-small", {
      operationType: "metadata_generation",
      projectSize: "small",
    });
    // Samples travel by outbox, on the wallet's alarm: wait until all six have arrived.
    const estimator = actorByName(env.ESTIMATOR, "metadata_generation");
    await eventually(
      () => estimator.estimate("large"),
      (estimate) => estimate?.basedOnSamples === 6,
    );
    const check = async (userId: string) =>
      (
        await asService("POST", "/v1/billing/check-sufficient", {
          userId,
          operationType: "metadata_generation",
          projectSize: "large",
        })
      ).json();
    expect(await check("rich")).toEqual({
      sufficient: true,
      estimate: {
        estimatedSeconds: 150,
        estimatedMinutes: 3,
        confidence: "medium",
        basedOnSamples: 6,
      },
      balance: { welcomeBonus: 3000, dailyGift: 900, paid: 0, total: 3900 },
    });
    await consume("poor", 3800, "drain");
    expect(await check("poor")).toEqual({
      sufficient: false,
      estimate: {
        estimatedSeconds: 150,
        estimatedMinutes: 3,
        confidence: "medium",
        basedOnSamples: 6,
      },
      balance: { welcomeBonus: 100, dailyGift: 0, paid: 0, total: 100 },
      recommendation: { suggestedPackage: "mini", costToComplete: 3, purchaseUrl: "/purchase" },
    });
    const none = await (
      await asService("POST", "/v1/billing/check-sufficient", {
        userId: "rich",
        operationType: "update",
      })
    ).json();
    expect(none).toMatchObject({ sufficient: true, estimate: null });
  });
});

describe("seed 001: x-sheen-signature", () => {
  const legacy = async (path: string, secret = env.SERVICE_SECRETS.split(",")[0] ?? "") =>
    new Request(`${ORIGIN}${path}`, {
      headers: { "x-sheen-signature": toHex(await hmacSha256(secret, `${path}`)) },
    });

  it("is refused unless LEGACY_BODY_SIGNATURE is true, because it can be replayed", async () => {
    const app = createApp(apiRoutes);
    const off = await app.fetch(await legacy("/v1/billing/balance/lee"), env);
    expect(off.status).toBe(401);
    expect((await problemOf(off)).detail).toMatch(/disabled/);
    const on = { ...env, LEGACY_BODY_SIGNATURE: "true" };
    expect((await app.fetch(await legacy("/v1/billing/balance/lee"), on)).status).toBe(200);
    const forged = await app.fetch(await legacy("/v1/billing/balance/lee", "not-the-secret"), on);
    expect((await problemOf(forged)).code).toBe("INVALID_SIGNATURE");
  });
});
