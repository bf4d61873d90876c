// The edge rate limits (src/router/middleware/edge-limit.ts) against the real Workers Rate
// Limiting bindings of wrangler.jsonc, as miniflare runs them. Locally a binding counts exactly,
// in fixed one-minute windows aligned to the wall clock (in production it counts per Cloudflare
// location, approximately), so every count below is exact — as long as no minute boundary
// passes in the middle of a test. `inOneWindow` gives such a test a second attempt, from fresh
// addresses, when (and only when) one did; a failure within one window always fails.
//
// Calls carry CF-Connecting-IP as Cloudflare sets it. The rest of the suite sends none, and a
// request without it is never counted (see the last describe).
import { describe, expect, it } from "vitest";
import {
  CLIENT_IP_HEADER,
  clientKey,
  EDGE_LIMIT_CREDENTIALS_PER_MINUTE,
  EDGE_LIMIT_PUBLIC_PER_MINUTE,
  EDGE_LIMIT_WINDOW_SECONDS,
  edgeLimitClass,
} from "../src/router/middleware/edge-limit.ts";
import { RATE_LIMIT_MESSAGE } from "../src/router/rate-limit-headers.ts";
import { apiRoutes } from "../src/router/routes/index.ts";
import { api, bearer, jsonInit, problemOf, serviceHeaders } from "./helpers.ts";

const WINDOW_MS = EDGE_LIMIT_WINDOW_SECONDS * 1000;
/** Requests sent at once: the binding serializes them, so the count stays exact. */
const BATCH = 25;

/** Runs `test` again from fresh addresses if it failed while a window boundary passed. */
async function inOneWindow(test: (attempt: number) => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const window = Math.floor(Date.now() / WINDOW_MS);
    try {
      return await test(attempt);
    } catch (error) {
      if (attempt > 0 || Math.floor(Date.now() / WINDOW_MS) === window) throw error;
    }
  }
}

/** `count` calls of `send`, BATCH at a time; the statuses in the order they were sent. */
async function statuses(count: number, send: (index: number) => Promise<Response>) {
  const all: number[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const size = Math.min(BATCH, count - start);
    const batch = await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const response = await send(start + i);
        await response.body?.cancel();
        return response.status;
      }),
    );
    all.push(...batch);
  }
  return all;
}

const tally = (list: number[]) =>
  list.reduce<Record<number, number>>((counts, status) => {
    counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }, {});

const from = (ip: string, headers: Record<string, string> = {}) => ({
  ...headers,
  [CLIENT_IP_HEADER]: ip,
});

/** A public route with no credential and a 200 answer: seed 004's availability check. */
const check = (ip: string) => api("/registry/check/edge-free-name", { headers: from(ip) });

/** A credential-minting route for a signed-in user: create a creation (its rct_ token). */
async function createCreation(ip: string | null, sub = "edge-minter") {
  const headers = await bearer({ sub });
  return api("/v1/creations", { method: "POST", headers: ip ? from(ip, headers) : headers });
}

async function expectRefusal(response: Response, policy: string, limit: number) {
  expect(response.status).toBe(429);
  const seconds = String(EDGE_LIMIT_WINDOW_SECONDS);
  expect({
    retryAfter: response.headers.get("retry-after"),
    policy: response.headers.get("ratelimit-policy"),
    rateLimit: response.headers.get("ratelimit"),
    limit: response.headers.get("x-ratelimit-limit"),
    remaining: response.headers.get("x-ratelimit-remaining"),
    reset: response.headers.get("x-ratelimit-reset"),
  }).toEqual({
    retryAfter: seconds,
    policy: `"${policy}";q=${limit};w=${seconds}`,
    rateLimit: `"${policy}";r=0;t=${seconds}`,
    limit: String(limit),
    remaining: "0",
    reset: seconds,
  });
  expect(response.headers.get("x-request-id")).toBeTruthy();
  const problem = await problemOf(response);
  expect(problem).toMatchObject({
    status: 429,
    code: "RATE_LIMIT_EXCEEDED",
    error: RATE_LIMIT_MESSAGE,
    limit,
    remaining: 0,
    retry_after: EDGE_LIMIT_WINDOW_SECONDS,
  });
  expect(problem.error).toBe("Rate limit exceeded. Try again in 1 minute.");
}

describe("public routes: a limit per client address", () => {
  it(`lets exactly ${EDGE_LIMIT_PUBLIC_PER_MINUTE} requests from one address through in a minute, then answers 429 with every header`, async () => {
    await inOneWindow(async (attempt) => {
      const ip = `198.51.100.${10 + attempt}`;
      const answered = await statuses(EDGE_LIMIT_PUBLIC_PER_MINUTE + 1, () => check(ip));
      expect(tally(answered)).toEqual({ 200: EDGE_LIMIT_PUBLIC_PER_MINUTE, 429: 1 });
      await expectRefusal(await check(ip), "edge-public", EDGE_LIMIT_PUBLIC_PER_MINUTE);

      // Another address has its own window.
      expect((await check(`198.51.100.${20 + attempt}`)).status).toBe(200);
      // The spent address is refused on every public route (one window per class), before the
      // route runs: without a publishable key this route would answer 401.
      const other = await api("/v1/publishable-key", { headers: from(ip) });
      expect(other.status).toBe(429);
      // It still calls authenticated routes, and mints: the credentials class is its own.
      const me = await api("/v1/me", { headers: from(ip, await bearer({ sub: "edge-reader" })) });
      expect(me.status).toBe(200);
      expect((await createCreation(ip)).status).toBe(201);
    });
  });

  it("never counts the exempt routes: Stripe's webhooks, health, and the routes that check a credential first", async () => {
    await inOneWindow(async (attempt) => {
      const ip = `198.51.100.${30 + attempt}`;
      const answered = await statuses(EDGE_LIMIT_PUBLIC_PER_MINUTE, () => check(ip));
      expect(tally(answered)).toEqual({ 200: EDGE_LIMIT_PUBLIC_PER_MINUTE });
      expect((await check(ip)).status).toBe(429);

      const badlySigned = await api("/v1/webhooks/stripe", {
        method: "POST",
        headers: from(ip, { "content-type": "application/json", "stripe-signature": "t=1,v1=00" }),
        body: "{}",
      });
      expect((await problemOf(badlySigned)).code).toBe("INVALID_STRIPE_SIGNATURE");
      const registryWebhook = await api("/registry/webhook", {
        method: "POST",
        headers: from(ip, { "content-type": "application/json", "stripe-signature": "t=1,v1=00" }),
        body: "{}",
      });
      expect((await problemOf(registryWebhook)).code).toBe("INVALID_STRIPE_SIGNATURE");
      expect((await api("/health", { headers: from(ip) })).status).toBe(200);
      const me = await api("/v1/auth/me", { headers: from(ip) });
      expect((await problemOf(me)).code).toBe("UNAUTHENTICATED");
      const validate = await api(
        "/v1/auth/validate",
        jsonInit("POST", { token: "x", creation_id: crypto.randomUUID() }, from(ip)),
      );
      expect(validate.status).toBe(401);
    });
  });
});

describe("credential-minting routes: a stricter limit per client address", () => {
  it(`lets exactly ${EDGE_LIMIT_CREDENTIALS_PER_MINUTE} mints from one address through in a minute, refusing the next before authentication`, async () => {
    await inOneWindow(async (attempt) => {
      const ip = `203.0.113.${10 + attempt}`;
      const answered = await statuses(EDGE_LIMIT_CREDENTIALS_PER_MINUTE + 1, () =>
        createCreation(ip),
      );
      expect(tally(answered)).toEqual({ 201: EDGE_LIMIT_CREDENTIALS_PER_MINUTE, 429: 1 });
      await expectRefusal(
        await createCreation(ip),
        "edge-credentials",
        EDGE_LIMIT_CREDENTIALS_PER_MINUTE,
      );
      // Refused before the token is even looked at: a garbage one gets the 429, not a 401.
      const garbage = await api("/v1/creations", {
        method: "POST",
        headers: from(ip, { authorization: "Bearer not-a-jwt" }),
      });
      expect(garbage.status).toBe(429);

      // The window is the address's across every minting route: a key is refused too.
      const owner = await bearer({ sub: "edge-minter" });
      const created = (await (await createCreation(null)).json()) as { id: string };
      const keyBody = { kind: "secret", mode: "live", name: "edge" };
      const keyPath = `/v1/creations/${created.id}/keys`;
      const key = await api(keyPath, jsonInit("POST", keyBody, from(ip, owner)));
      expect(key.status).toBe(429);

      // Its authenticated calls that mint nothing are never edge-limited, however many.
      const reads = await statuses(EDGE_LIMIT_CREDENTIALS_PER_MINUTE + 1, () =>
        api(`/v1/creations/${created.id}`, { headers: from(ip, owner) }),
      );
      expect(tally(reads)).toEqual({ 200: EDGE_LIMIT_CREDENTIALS_PER_MINUTE + 1 });
      // Nor are its public calls counted in this class.
      expect((await check(ip)).status).toBe(200);
      // And another address mints.
      expect((await createCreation(`203.0.113.${20 + attempt}`)).status).toBe(201);
    });
  });

  it("lets the platform's signed calls through a spent address, and still refuses a forged signature", async () => {
    await inOneWindow(async (attempt) => {
      const ip = `203.0.113.${30 + attempt}`;
      const answered = await statuses(EDGE_LIMIT_CREDENTIALS_PER_MINUTE, () => createCreation(ip));
      expect(tally(answered)).toEqual({ 201: EDGE_LIMIT_CREDENTIALS_PER_MINUTE });
      expect((await createCreation(ip)).status).toBe(429);

      const created = (await (await createCreation(null)).json()) as { id: string };
      const path = `/v1/creations/${created.id}/keys`;
      const body = JSON.stringify({ kind: "secret", mode: "live", name: "platform" });
      const signed = await api(path, {
        method: "POST",
        headers: from(ip, {
          "content-type": "application/json",
          ...(await serviceHeaders("POST", path, body)),
        }),
        body,
      });
      expect(signed.status).toBe(201);
      const forged = await api(path, {
        method: "POST",
        headers: from(ip, {
          "content-type": "application/json",
          ...(await serviceHeaders("POST", path, body, { secret: "not-the-platform" })),
        }),
        body,
      });
      expect((await problemOf(forged)).code).toBe("INVALID_SIGNATURE");
    });
  });

  it("counts an IPv6 client by its /64, whichever of its addresses it sends from", async () => {
    await inOneWindow(async (attempt) => {
      const prefix = `2001:db8:${attempt + 1}:2`;
      const answered = await statuses(EDGE_LIMIT_CREDENTIALS_PER_MINUTE, (i) =>
        createCreation(`${prefix}:${(i + 1).toString(16)}::1`),
      );
      expect(tally(answered)).toEqual({ 201: EDGE_LIMIT_CREDENTIALS_PER_MINUTE });
      expect((await createCreation(`${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429);
      expect((await createCreation(`2001:db8:${attempt + 1}:3::1`)).status).toBe(201);
    });
  });
});

describe("what counts as one client", () => {
  it("is an IPv4 address as sent, and an IPv6 address's /64 in any notation", () => {
    expect(
      [
        "203.0.113.7",
        "2001:db8:1:2::1",
        "2001:0DB8:0001:0002:ffff:0:0:9",
        "2001:db8::",
        "::1",
        "::ffff:203.0.113.7",
        "fe80::1%eth0",
        "not an address",
        "1:2:3:4:5:6:7:8:9",
      ].map(clientKey),
    ).toEqual([
      "203.0.113.7",
      "2001:db8:1:2::/64",
      "2001:db8:1:2::/64",
      "2001:db8:0:0::/64",
      "0:0:0:0::/64",
      "203.0.113.7",
      "fe80:0:0:0::/64",
      "not an address",
      "1:2:3:4:5:6:7:8:9",
    ]);
  });
});

describe("which routes are limited", () => {
  const byClass = (kind: string | null) =>
    apiRoutes
      .filter(({ spec }) => edgeLimitClass(spec) === kind)
      .map(({ spec }) => spec.operationId)
      .sort();

  it("counts every route that mints a credential, and never exempts one", () => {
    expect(byClass("credentials")).toEqual(
      expect.arrayContaining([
        "createApiKey",
        "createAccessToken",
        "createCreation",
        "devSignIn",
        "issueContentCredential",
        "rollApiKey",
        "rotateCreationToken",
        "rotateCreationTokenLegacy",
        "rotateWebhookSecret",
      ]),
    );
    expect(apiRoutes.filter(({ spec }) => spec.mintsCredentials && spec.edgeLimitExempt)).toEqual(
      [],
    );
  });

  it("exempts only the public routes that give a reason", () => {
    expect(
      apiRoutes
        .filter(({ spec }) => spec.edgeLimitExempt !== undefined)
        .map(({ spec }) => [spec.operationId, spec.auth]),
    ).toEqual([
      ["getHealth", "public"],
      ["authMe", "public"],
      ["validateContentCredential", "public"],
      ["verifyEntitlementToken", "public"],
      ["verifyEntitlementTokenPost", "public"],
      ["verifyReceipt", "public"],
      ["verifyReceiptPost", "public"],
      ["stripeWebhook", "public"],
      ["registryWebhook", "public"],
    ]);
    expect(byClass("public")).toEqual(
      [
        "describePublishableKey",
        "listProducts",
        "receiptKeys",
        "registryAccess",
        "registryCheck",
        "registryJson",
        "sessionSocket",
      ].sort(),
    );
  });
});

describe("without CF-Connecting-IP", () => {
  it("counts nothing: the request did not come through Cloudflare's edge", async () => {
    const answered = await statuses(EDGE_LIMIT_CREDENTIALS_PER_MINUTE + 1, () =>
      createCreation(null, "edge-insider"),
    );
    expect(tally(answered)).toEqual({ 201: EDGE_LIMIT_CREDENTIALS_PER_MINUTE + 1 });
  });
});
