// Expected refusals cross the actor boundary as values (so the runtime does not log them as
// uncaught exceptions), and every caller in src/ reaches actors through actorByName(), which
// turns them back into the ApiError the actor threw.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { creationAccount } from "../src/actors/wallet/account.ts";
import { ApiError } from "../src/shared/errors.ts";
import { api, createCreation } from "./helpers.ts";

const SOURCES = import.meta.glob("../src/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

describe("refusals as values", () => {
  it("answers a refused RPC with a value on the raw stub and an ApiError through actorByName", async () => {
    const name = creationAccount((await createCreation("refusal-owner")).id);
    const spend = { amount: 10, type: "provider_call" };
    const refused = await (env.WALLET.getByName(name).spend as (...a: unknown[]) => unknown)(
      name,
      { type: "service", id: "platform", secret_index: 0 },
      spend,
      undefined,
    );
    expect(refused).toMatchObject({
      troupe_refusal: { code: "INSUFFICIENT_CREATION_FUNDS", extensions: { balance: 0 } },
    });
    const error = await actorByName(env.WALLET, name)
      .spend(name, { type: "service", id: "platform", secret_index: 0 }, spend, undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("INSUFFICIENT_CREATION_FUNDS");
  });

  it("reaches actors only through actorByName in src/", () => {
    const files = Object.entries(SOURCES as Record<string, string>);
    expect(files.length).toBeGreaterThan(50);
    const direct = files
      .filter(
        ([path, text]) => !path.endsWith("/actors/refusal.ts") && text.includes(".getByName("),
      )
      .map(([path]) => path);
    expect(direct).toEqual([]);
  });
});

const EXPOSED =
  "x-request-id,retry-after,ratelimit,ratelimit-policy,x-ratelimit-limit,x-ratelimit-remaining,x-ratelimit-reset";

describe("CORS", () => {
  it("sends Access-Control-Expose-Headers once on answers, errors and preflights", async () => {
    const origin = { origin: "https://app.example" };
    const responses = [
      await api("/health", { headers: origin }),
      await api("/v1/me", { headers: origin }),
      await api("/v1/nothing-here", { headers: origin }),
      await api("/v1/me", {
        method: "OPTIONS",
        headers: { ...origin, "access-control-request-method": "GET" },
      }),
    ];
    expect(
      responses.map((r) => [r.status, r.headers.get("access-control-expose-headers")]),
    ).toEqual([
      [200, EXPOSED],
      [401, EXPOSED],
      [404, EXPOSED],
      [204, EXPOSED],
    ]);
  });
});
