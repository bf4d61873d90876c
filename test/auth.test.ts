import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../src/shared/clock.ts";
import { SERVICE_SIGNATURE_TOLERANCE_SECONDS as TOLERANCE } from "../src/shared/limits.ts";
import { api, bearer, jsonInit, problemOf, serviceHeaders, userToken } from "./helpers.ts";

describe("GET /v1/me with user JWTs", () => {
  it("returns the user principal from a valid HS256 token", async () => {
    const response = await api("/v1/me", { headers: await bearer({ email: "alice@example.com" }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      type: "user",
      id: "alice",
      email: "alice@example.com",
      admin: false,
    });
  });

  it("marks role=admin tokens as admin and reports a missing email as null", async () => {
    const response = await api("/v1/me", { headers: await bearer({ sub: "root", admin: true }) });
    expect(await response.json()).toEqual({ type: "user", id: "root", email: null, admin: true });
  });

  it("is 401 UNAUTHENTICATED without credentials, with a WWW-Authenticate challenge", async () => {
    const response = await api("/v1/me");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="troupe"');
    const problem = await problemOf(response);
    expect(problem.code).toBe("UNAUTHENTICATED");
    expect(problem.status).toBe(401);
  });

  it("is 401 INVALID_TOKEN for a token signed with another secret", async () => {
    const token = await userToken({ sub: "alice", secret: "not-the-server-secret-at-all-000000" });
    const response = await api("/v1/me", { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("INVALID_TOKEN");
  });

  it("is 401 INVALID_TOKEN for a token whose payload was edited after signing", async () => {
    const [header, , signature] = (await userToken({ sub: "alice" })).split(".");
    const forged = btoa(JSON.stringify({ sub: "mallory", exp: 4102444800 })).replace(/=+$/, "");
    const response = await api("/v1/me", {
      headers: { authorization: `Bearer ${header}.${forged}.${signature}` },
    });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("INVALID_TOKEN");
  });

  it("is 401 TOKEN_EXPIRED for an expired token", async () => {
    const response = await api("/v1/me", { headers: await bearer({ expiresInSeconds: -120 }) });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("TOKEN_EXPIRED");
  });

  it("is 401 INVALID_TOKEN for a token without sub, for garbage and for a non-Bearer scheme", async () => {
    const noSub = await userToken({});
    for (const authorization of [`Bearer ${noSub}`, "Bearer not.a.jwt", "Basic YWxpY2U6cHc="]) {
      const response = await api("/v1/me", { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect((await problemOf(response)).code, authorization).toBe("INVALID_TOKEN");
    }
  });

  it("ignores client-sent identity headers", async () => {
    const spoof = {
      "x-troupe-principal": JSON.stringify({ type: "user", id: "root", admin: true }),
      "x-verified-user": "root",
      "x-user-id": "root",
      "x-platform-user-id": "root",
    };
    const anonymous = await api("/v1/me", { headers: spoof });
    expect(anonymous.status).toBe(401);
    expect((await problemOf(anonymous)).code).toBe("UNAUTHENTICATED");

    const alice = await api("/v1/me", { headers: { ...spoof, ...(await bearer()) } });
    expect(await alice.json()).toEqual({ type: "user", id: "alice", email: null, admin: false });
  });

  it("strips client-sent identity headers before any route or actor sees the request", async () => {
    const response = await api("/__fixtures/headers", {
      headers: {
        "x-troupe-principal": "root",
        "X-Troupe-Anything": "1",
        "x-verified-user": "root",
        "x-verified-agent": "bot",
        "x-auth-type": "admin",
        "x-user-id": "root",
        "x-platform-user-id": "root",
        "x-custom-header": "kept",
      },
    });
    expect(await response.json()).toEqual(["x-custom-header"]);
  });
});

describe("service signatures", () => {
  it("returns the service principal for a correctly signed call", async () => {
    const response = await api("/v1/me", { headers: await serviceHeaders("GET", "/v1/me") });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: "service", id: "platform", secret_index: 0 });
  });

  it("accepts every active secret so secrets can rotate", async () => {
    const previous = env.SERVICE_SECRETS.split(",")[1];
    const response = await api("/v1/me", {
      headers: await serviceHeaders("GET", "/v1/me", "", { secret: previous }),
    });
    expect(await response.json()).toEqual({ type: "service", id: "platform", secret_index: 1 });
  });

  it("covers the query string, the method and the body", async () => {
    const body = JSON.stringify({ name: "x", amount: 5 });
    const signed = await serviceHeaders("POST", "/__fixtures/echo/a", body);
    const ok = await api("/__fixtures/echo/a", jsonInit("POST", JSON.parse(body), signed));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ principal: { type: "service" }, body: { amount: 5 } });

    const tampered = await api(
      "/__fixtures/echo/a",
      jsonInit("POST", { name: "x", amount: 500 }, signed),
    );
    expect(tampered.status).toBe(401);
    expect((await problemOf(tampered)).code).toBe("INVALID_SIGNATURE");

    const otherPath = await api("/v1/me?as=root", {
      headers: await serviceHeaders("GET", "/v1/me"),
    });
    expect((await problemOf(otherPath)).code).toBe("INVALID_SIGNATURE");

    const otherMethod = await api("/__fixtures/echo/a", {
      ...jsonInit("POST", JSON.parse(body)),
      headers: {
        "content-type": "application/json",
        ...(await serviceHeaders("PUT", "/__fixtures/echo/a", body)),
      },
    });
    expect((await problemOf(otherMethod)).code).toBe("INVALID_SIGNATURE");
  });

  // Offsets stay a few seconds clear of the edge so the test clock and the Worker's agree.
  const now = () => Math.floor(clock.now() / 1000);
  const EDGE_MARGIN_SECONDS = 5;

  it.each([
    ["a wrong secret", () => ({ secret: "an-unknown-secret" })],
    ["a stale timestamp", () => ({ nowSeconds: now() - TOLERANCE - EDGE_MARGIN_SECONDS })],
    ["a future timestamp", () => ({ nowSeconds: now() + TOLERANCE + EDGE_MARGIN_SECONDS })],
  ])("is 401 INVALID_SIGNATURE for %s", async (_, options) => {
    const headers = await serviceHeaders("GET", "/v1/me", "", options());
    const response = await api("/v1/me", { headers });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("INVALID_SIGNATURE");
  });

  it("accepts timestamps inside the tolerance window on either side", async () => {
    for (const offset of [-(TOLERANCE - EDGE_MARGIN_SECONDS), TOLERANCE - EDGE_MARGIN_SECONDS]) {
      const headers = await serviceHeaders("GET", "/v1/me", "", { nowSeconds: now() + offset });
      expect((await api("/v1/me", { headers })).status, String(offset)).toBe(200);
    }
  });

  it("is 401 INVALID_SIGNATURE when the signature or timestamp header is missing or malformed", async () => {
    const signed = await serviceHeaders("GET", "/v1/me");
    const cases: Record<string, string>[] = [
      { "troupe-timestamp": signed["troupe-timestamp"] as string },
      { "troupe-signature": signed["troupe-signature"] as string },
      { ...signed, "troupe-signature": "v1=abc" },
      {
        ...signed,
        "troupe-signature": (signed["troupe-signature"] as string).replace("v1=", "v2="),
      },
      { ...signed, "troupe-timestamp": "yesterday" },
    ];
    for (const headers of cases) {
      const response = await api("/v1/me", { headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect((await problemOf(response)).code).toBe("INVALID_SIGNATURE");
    }
  });

  it("judges a call carrying a signature by the signature, not by a bearer token beside it", async () => {
    const response = await api("/v1/me", {
      headers: { ...(await bearer()), "troupe-timestamp": "1", "troupe-signature": "v1=00" },
    });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("INVALID_SIGNATURE");
  });
});
