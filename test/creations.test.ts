import { describe, expect, it } from "vitest";
import {
  api,
  asCreation,
  bearer,
  createCreation,
  jsonInit,
  problemOf,
  serviceHeaders,
  userToken,
} from "./helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("POST /v1/creations", () => {
  it("creates a creation owned by the caller and shows its token and webhook secret once", async () => {
    const response = await api(
      "/v1/creations",
      jsonInit("POST", { name: "Poll party" }, await bearer()),
    );
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, string | number | boolean | null>;
    const id = created.id as string;
    expect(id).toMatch(UUID);
    expect(response.headers.get("location")).toBe(`/v1/creations/${id}`);
    expect(created).toEqual({
      id,
      owner: "alice",
      name: "Poll party",
      allow_anonymous: false,
      webhook_url: null,
      token_version: 1,
      ai: { payer: "creation", model: null, system_prompt: null, max_output_tokens: null },
      permissions: [],
      entitlement_creator_share_pct: 100,
      token: expect.stringMatching(new RegExp(`^rct_${id}\\.1\\.[A-Za-z0-9_-]{43}$`)),
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: created.created_at,
    });

    const read = (await (
      await api(`/v1/creations/${id}`, { headers: await bearer() })
    ).json()) as object;
    expect(read).not.toHaveProperty("token");
    expect(read).not.toHaveProperty("webhook_secret");
  });

  it("answers a retry with the same Idempotency-Key with the same creation, once", async () => {
    const create = async (sub: string, key: string, name: string) =>
      api(
        "/v1/creations",
        jsonInit("POST", { name }, { ...(await bearer({ sub })), "idempotency-key": key }),
      );
    const first = await create("ivy", "create-1", "Quiz");
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const retries = await Promise.all([1, 2, 3].map(() => create("ivy", "create-1", "Quiz")));
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await retry.text()).toBe(firstBody);
    }
    const reused = await create("ivy", "create-1", "Another name");
    expect(reused.status).toBe(422);
    expect((await problemOf(reused)).code).toBe("IDEMPOTENCY_KEY_REUSED");
    const otherUser = await create("jon", "create-1", "Quiz");
    expect(((await otherUser.json()) as { id: string }).id).not.toBe(JSON.parse(firstBody).id);
  });

  it("accepts no body at all and gives each creation its own id", async () => {
    const headers = await bearer({ sub: "bob" });
    const [a, b] = await Promise.all([
      api("/v1/creations", { method: "POST", headers }),
      api("/v1/creations", { method: "POST", headers }),
    ]);
    const [first, second] = [
      (await a?.json()) as { id: string; name: null },
      (await b?.json()) as { id: string },
    ];
    expect(first.name).toBeNull();
    expect(first.id).not.toBe(second.id);
  });

  it("is open to users only", async () => {
    const { token } = await createCreation();
    const denied = await api("/v1/creations", { method: "POST", headers: asCreation(token) });
    expect(denied.status).toBe(403);
    expect((await problemOf(denied)).code).toBe("CREATION_SCOPE_DENIED");
    const service = await api("/v1/creations", {
      method: "POST",
      headers: await serviceHeaders("POST", "/v1/creations"),
    });
    expect(service.status).toBe(403);
    expect((await problemOf(service)).code).toBe("FORBIDDEN");
  });

  it("is 400 INVALID_REQUEST for a name that is too long", async () => {
    const response = await api(
      "/v1/creations",
      jsonInit("POST", { name: "x".repeat(101) }, await bearer()),
    );
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe("INVALID_REQUEST");
    expect(problem.detail).toBe("body name: must be at most 100 characters");
  });
});

describe("GET /v1/creations/:id", () => {
  it("is readable by its owner, an admin, the platform and its own token only", async () => {
    const creation = await createCreation("alice");
    const path = `/v1/creations/${creation.id}`;
    const status = async (headers: Record<string, string>) => (await api(path, { headers })).status;
    expect(await status(await bearer({ sub: "alice" }))).toBe(200);
    expect(await status(await bearer({ sub: "root", admin: true }))).toBe(200);
    expect(await status(await serviceHeaders("GET", path))).toBe(200);
    expect(await status(asCreation(creation.token))).toBe(200);

    const stranger = await api(path, { headers: await bearer({ sub: "mallory" }) });
    expect(stranger.status).toBe(403);
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
  });

  it("is 403 CREATION_SCOPE_MISMATCH for another creation's token", async () => {
    const [mine, theirs] = await Promise.all([createCreation("alice"), createCreation("bob")]);
    const response = await api(`/v1/creations/${mine.id}`, { headers: asCreation(theirs.token) });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).code).toBe("CREATION_SCOPE_MISMATCH");
  });

  it("is 404 CREATION_NOT_FOUND for an unknown id and 400 for a malformed one", async () => {
    const unknown = await api(`/v1/creations/${crypto.randomUUID()}`, { headers: await bearer() });
    expect(unknown.status).toBe(404);
    expect((await problemOf(unknown)).code).toBe("CREATION_NOT_FOUND");
    const malformed = await api("/v1/creations/not-a-uuid", { headers: await bearer() });
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).detail).toBe("path id: must be a creation id (a UUID)");
  });
});

describe("creation tokens", () => {
  it("prove the creation on GET /v1/me", async () => {
    const { id, token } = await createCreation();
    const response = await api("/v1/me", { headers: asCreation(token) });
    expect(await response.json()).toEqual({ type: "creation", id, token_version: 1 });
  });

  it("are taken from x-api-key as from Authorization, and only one credential per request", async () => {
    const { id, token } = await createCreation();
    const viaKey = await api("/v1/me", { headers: { "x-api-key": token } });
    expect(viaKey.status).toBe(200);
    expect(await viaKey.json()).toEqual({ type: "creation", id, token_version: 1 });
    const both = await api("/v1/me", { headers: { "x-api-key": token, ...asCreation(token) } });
    expect(both.status).toBe(200);

    const other = await createCreation();
    const mixed = await api("/v1/me", {
      headers: { "x-api-key": token, ...asCreation(other.token) },
    });
    expect(mixed.status).toBe(401);
    expect((await problemOf(mixed)).detail).toBe(
      "Authorization and x-api-key carry different credentials; send one.",
    );
    // A user's JWT is not a key, and a key that is not a genuine token is refused.
    for (const key of [await userToken({ sub: "alice" }), "", "rct_", `${token}x`, `${token} x`]) {
      const refused = await api("/v1/me", { headers: { "x-api-key": key } });
      expect(refused.status, key).toBe(401);
      expect((await problemOf(refused)).code, key).toBe("INVALID_TOKEN");
    }
    // The same version check applies: a rotated token is revoked in this header too.
    await api(`/v1/creations/${id}/rotate-token`, { method: "POST", headers: await bearer() });
    const revoked = await api("/v1/me", { headers: { "x-api-key": token } });
    expect((await problemOf(revoked)).code).toBe("TOKEN_REVOKED");
  });

  it("are revoked by a rotation on their next use, and the new token works", async () => {
    const creation = await createCreation("alice");
    const rotate = await api(`/v1/creations/${creation.id}/rotate-token`, {
      method: "POST",
      headers: await bearer({ sub: "alice" }),
    });
    expect(rotate.status).toBe(200);
    const rotated = (await rotate.json()) as { token_version: number; token: string };
    expect(rotated.token_version).toBe(2);
    expect(rotated.token).toMatch(new RegExp(`^rct_${creation.id}\\.2\\.`));

    const old = await api("/v1/me", { headers: asCreation(creation.token) });
    expect(old.status).toBe(401);
    const problem = await problemOf(old);
    expect(problem.code).toBe("TOKEN_REVOKED");
    expect(problem).toMatchObject({ token_version: 1, current_version: 2 });
    expect((await api("/v1/me", { headers: asCreation(rotated.token) })).status).toBe(200);

    // Seed 000's path rotates the same counter.
    const legacy = await api(`/v1/creations/${creation.id}/wallet/rotate-token`, {
      method: "POST",
      headers: await bearer({ sub: "alice" }),
    });
    expect(((await legacy.json()) as { token_version: number }).token_version).toBe(3);
    expect(
      (await problemOf(await api("/v1/me", { headers: asCreation(rotated.token) }))).code,
    ).toBe("TOKEN_REVOKED");
  });

  it("give each of many concurrent rotations its own version", async () => {
    const creation = await createCreation("alice");
    const headers = await bearer({ sub: "alice" });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api(`/v1/creations/${creation.id}/rotate-token`, { method: "POST", headers }),
      ),
    );
    const versions = await Promise.all(
      responses.map(async (r) => ((await r.json()) as { token_version: number }).token_version),
    );
    expect(versions.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const read = await api(`/v1/creations/${creation.id}`, { headers });
    expect(((await read.json()) as { token_version: number }).token_version).toBe(11);
  });

  it("cannot be rotated by anyone but the owner or the platform", async () => {
    const creation = await createCreation("alice");
    const path = `/v1/creations/${creation.id}/rotate-token`;
    const stranger = await api(path, { method: "POST", headers: await bearer({ sub: "mallory" }) });
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
    const itself = await api(path, { method: "POST", headers: asCreation(creation.token) });
    expect((await problemOf(itself)).code).toBe("CREATION_SCOPE_DENIED");
    const service = await api(path, {
      method: "POST",
      headers: await serviceHeaders("POST", path),
    });
    expect(((await service.json()) as { token_version: number }).token_version).toBe(2);
  });

  it("are 401 INVALID_TOKEN when forged or edited", async () => {
    const { id, token } = await createCreation();
    const forgedVersion = token.replace(`rct_${id}.1.`, `rct_${id}.9.`);
    const otherId = token.replace(id, crypto.randomUUID());
    for (const bad of [forgedVersion, otherId, `${token}x`, "rct_garbage"]) {
      const response = await api("/v1/me", { headers: asCreation(bad) });
      expect(response.status, bad).toBe(401);
      expect((await problemOf(response)).code, bad).toBe("INVALID_TOKEN");
    }
  });
});

describe("PATCH /v1/creations/:id", () => {
  it("changes name, allow_anonymous and webhook_url for the owner", async () => {
    const { id } = await createCreation("alice");
    const headers = await bearer({ sub: "alice" });
    const patch = {
      name: "Renamed",
      allow_anonymous: true,
      webhook_url: "https://hooks.example.com/troupe",
    };
    const response = await api(`/v1/creations/${id}`, jsonInit("PATCH", patch, headers));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, owner: "alice", ...patch });

    const cleared = await api(
      `/v1/creations/${id}`,
      jsonInit("PATCH", { webhook_url: null }, headers),
    );
    expect(await cleared.json()).toMatchObject({
      name: "Renamed",
      allow_anonymous: true,
      webhook_url: null,
    });
  });

  it("rejects unknown fields, bad URLs and other users, changing nothing", async () => {
    const { id, token } = await createCreation("alice");
    const headers = await bearer({ sub: "alice" });
    const path = `/v1/creations/${id}`;

    const unknown = await problemOf(
      await api(path, jsonInit("PATCH", { owner: "mallory" }, headers)),
    );
    expect(unknown.code).toBe("INVALID_REQUEST");
    expect(unknown.errors).toEqual([{ field: "owner", message: "is not a known field" }]);

    const insecure = await problemOf(
      await api(
        path,
        jsonInit("PATCH", { name: "x", webhook_url: "http://hooks.example.com/" }, headers),
      ),
    );
    expect(insecure.code).toBe("INVALID_WEBHOOK_URL");

    const stranger = await api(
      path,
      jsonInit("PATCH", { name: "x" }, await bearer({ sub: "mallory" })),
    );
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
    const itself = await api(path, jsonInit("PATCH", { name: "x" }, asCreation(token)));
    expect((await problemOf(itself)).code).toBe("CREATION_SCOPE_DENIED");

    const read = (await (await api(path, { headers })).json()) as {
      name: string | null;
      owner: string;
    };
    expect(read).toMatchObject({ name: null, owner: "alice" });
  });
});
