import { describe, expect, it } from "vitest";
import { clock } from "../src/shared/clock.ts";
import { REQUEST_BODY_MAX_BYTES } from "../src/shared/limits.ts";
import { FIXTURE_SECRET_MESSAGE } from "./fixtures/worker.ts";
import { api, bearer, jsonInit, problemOf } from "./helpers.ts";

describe("problem+json errors", () => {
  it("renders unknown routes as a 404 problem", async () => {
    const response = await api("/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toEqual({
      type: "/docs#error-NOT_FOUND",
      title: "No such resource",
      status: 404,
      detail: "No route for GET /v1/nothing-here.",
      code: "NOT_FOUND",
      request_id: response.headers.get("x-request-id"),
    });
  });

  it("renders a missing page outside the API as a 404 problem too", async () => {
    const response = await api("/no-such-page.html");
    expect(response.status).toBe(404);
    expect((await problemOf(response)).code).toBe("NOT_FOUND");
  });

  it("turns an unexpected exception into a 500 that leaks neither message nor stack", async () => {
    const response = await api("/__fixtures/throw");
    expect(response.status).toBe(500);
    const text = await response.clone().text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain(FIXTURE_SECRET_MESSAGE);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    const problem = await problemOf(response);
    expect(problem.code).toBe("INTERNAL");
    expect(problem.status).toBe(500);
    expect(problem.request_id).toBe(response.headers.get("x-request-id"));
  });
});

describe("request bodies", () => {
  const echo = "/__fixtures/echo/a";

  it("passes a valid body to the route, parsed by its schema", async () => {
    const response = await api(echo, jsonInit("POST", { name: "n", amount: 3 }, await bearer()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      principal: { type: "user", id: "alice", email: null, admin: false },
      params: { slot: "a" },
      body: { name: "n", amount: 3 },
    });
  });

  it("is 400 INVALID_JSON for a malformed body", async () => {
    const response = await api(echo, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer()) },
      body: '{"name": "n", "amount": ',
    });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe("INVALID_JSON");
    expect(problem.detail).toMatch(/^The request body is not valid JSON: /);
  });

  it("is 400 INVALID_JSON for an empty body", async () => {
    const response = await api(echo, { method: "POST", headers: await bearer() });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).code).toBe("INVALID_JSON");
  });

  it("is 415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared as JSON", async () => {
    const response = await api(echo, {
      method: "POST",
      headers: { "content-type": "text/plain", ...(await bearer()) },
      body: JSON.stringify({ name: "n", amount: 3 }),
    });
    expect(response.status).toBe(415);
    expect((await problemOf(response)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("is 400 INVALID_REQUEST naming the field that failed", async () => {
    const response = await api(echo, jsonInit("POST", { name: "n", amount: 2.5 }, await bearer()));
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe("INVALID_REQUEST");
    expect(problem.detail).toBe("body amount: Invalid integer: Received 2.5");
    expect(problem.location).toBe("body");
    expect(problem.errors).toEqual([{ field: "amount", message: "Invalid integer: Received 2.5" }]);
  });

  it("is 400 INVALID_REQUEST naming a missing field and a bad path parameter", async () => {
    const missing = await problemOf(
      await api(echo, jsonInit("POST", { amount: 1 }, await bearer())),
    );
    expect(missing.code).toBe("INVALID_REQUEST");
    expect(missing.errors).toEqual([
      { field: "name", message: 'Invalid key: Expected "name" but received undefined' },
    ]);
    const badSlot = await problemOf(
      await api("/__fixtures/echo/z", jsonInit("POST", { name: "n", amount: 1 }, await bearer())),
    );
    expect(badSlot.code).toBe("INVALID_REQUEST");
    expect(badSlot.location).toBe("path");
    expect(badSlot.detail).toMatch(/^path slot: /);
  });

  it("authenticates before validating, so anonymous callers learn nothing about the schema", async () => {
    const response = await api(echo, jsonInit("POST", { wrong: true }));
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("UNAUTHENTICATED");
  });

  it("is 413 PAYLOAD_TOO_LARGE for a body over the limit, by Content-Length", async () => {
    const body = JSON.stringify({ name: "x".repeat(REQUEST_BODY_MAX_BYTES), amount: 1 });
    const response = await api(echo, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer()) },
      body,
    });
    expect(response.status).toBe(413);
    const problem = await problemOf(response);
    expect(problem.code).toBe("PAYLOAD_TOO_LARGE");
    expect(problem.limit_bytes).toBe(REQUEST_BODY_MAX_BYTES);
  });

  it("is 413 PAYLOAD_TOO_LARGE for a streamed body over the limit without Content-Length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > REQUEST_BODY_MAX_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await api(echo, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer()) },
      body: stream,
      // @ts-expect-error duplex is required by the fetch spec for streamed bodies
      duplex: "half",
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("headers on every response", () => {
  it("sets x-request-id on success, errors, assets and preflights", async () => {
    const responses = [
      await api("/health"),
      await api("/v1/me"),
      await api("/v1/nothing-here"),
      await api("/__fixtures/throw"),
      await api("/"),
      await api("/openapi.json"),
      await api("/v1/me", {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "GET" },
      }),
    ];
    for (const response of responses) {
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(responses.map((r) => r.headers.get("x-request-id"))).size).toBe(
      responses.length,
    );
  });

  it("keeps a well-formed client request id and replaces an unsafe one", async () => {
    const kept = await api("/health", { headers: { "x-request-id": "trace-abc_123" } });
    expect(kept.headers.get("x-request-id")).toBe("trace-abc_123");
    const replaced = await api("/health", { headers: { "x-request-id": "<script>" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sets security headers", async () => {
    const response = await api("/health");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("allows only the configured CORS origins", async () => {
    const preflight = (origin: string) =>
      api("/v1/me", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
    const allowed = await preflight("https://studio.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://studio.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("authorization");
    const denied = await preflight("https://evil.example.net");
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("meta routes", () => {
  it("reports health", async () => {
    const response = await api("/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; time: string };
    expect(body.status).toBe("ok");
    expect(Math.abs(Date.parse(body.time) - clock.now())).toBeLessThan(60_000);
  });

  it("serves the landing page from public/", async () => {
    const response = await api("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("<title>troupe");
    expect(page).toContain('href="/docs"');
  });
});
