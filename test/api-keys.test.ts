// A creation's API keys end to end: secret and publishable, live and test; created, used,
// listed without key material, rolled with a grace, revoked; scopes, origins, expiry; forged
// keys refused at the edge; 1,000 keys and the check still one row.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEY_BY_ID_SQL } from "../src/actors/creation/api-keys.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { base64url, sha256Hex } from "../src/shared/crypto.ts";
import { API_KEYS_PER_CREATION_MAX } from "../src/shared/limits.ts";
import { CALLS, creationRoutes, fixture, moneyOf, send } from "./creation-calls.ts";
import { api, asCreation, bearer, createCreation, problemOf, serviceHeaders } from "./helpers.ts";
import { creationWallet, expectCleanAudit, fundCreation, post } from "./wallet-helpers.ts";

interface CreatedKey {
  id: string;
  key: string;
  kind: string;
  mode: string;
  start: string;
  scopes: string[] | null;
  allowed_origins: string[] | null;
  last_used_at: string | null;
  revokes_at: string | null;
}

const keysPath = (creationId: string) => `/v1/creations/${creationId}/keys`;

async function createKey(creationId: string, body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await post(keysPath(creationId), body, await bearer({ sub: "alice" }));
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedKey;
}

async function listKeys(creationId: string, query = "") {
  const response = await api(`${keysPath(creationId)}${query}`, { headers: await bearer() });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, page: JSON.parse(text) as { keys: CreatedKey[]; next_cursor: string | null } };
}

async function roll(creationId: string, keyId: string, grace_seconds: number) {
  const response = await post(
    `${keysPath(creationId)}/${keyId}/roll`,
    { grace_seconds },
    await bearer(),
  );
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedKey;
}

async function revoke(creationId: string, keyId: string) {
  const response = await api(`${keysPath(creationId)}/${keyId}`, {
    method: "DELETE",
    headers: await bearer(),
  });
  expect(response.status).toBe(204);
}

const asKey = (key: string) => ({ "x-api-key": key });
const asPage = (key: string, origin?: string) => ({
  "x-publishable-key": key,
  ...(origin ? { origin } : {}),
});

/** What a key's use answers: /v1/me for a secret key, /v1/publishable-key for a publishable. */
async function use(key: CreatedKey | string, kind = "secret", origin?: string) {
  const text = typeof key === "string" ? key : key.key;
  return kind === "secret"
    ? api("/v1/me", { headers: { authorization: `Bearer ${text}` } })
    : api("/v1/publishable-key", { headers: asPage(text, origin) });
}

async function expectRefused(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect((await problemOf(response)).code).toBe(code);
}

describe("API keys", () => {
  for (const kind of ["secret", "publishable"] as const) {
    for (const mode of ["live", "test"] as const) {
      it(`${kind} ${mode}: create, use, list without the key, roll with a grace, revoke`, async () => {
        const creation = await createCreation("alice");
        const created = await createKey(creation.id, { kind, mode, name: `${kind} ${mode}` });
        const prefix = `${kind === "secret" ? "sk" : "pk"}_${mode}_`;
        expect(created.key.startsWith(prefix)).toBe(true);
        expect(created.start).toBe(created.key.slice(0, prefix.length + 6));
        expect(created).toMatchObject({ kind, mode, scopes: null, last_used_at: null });

        const used = await use(created, kind);
        expect(used.status).toBe(200);
        const body = (await used.json()) as Record<string, unknown>;
        if (kind === "secret") {
          // The key's hash stays between the router and the actors.
          expect(body).toEqual({
            type: "creation",
            id: creation.id,
            key_id: created.id,
            mode,
            scopes: null,
          });
        } else {
          expect(body).toEqual({
            key_id: created.id,
            creation_id: creation.id,
            mode,
            creation: { name: null, allow_anonymous: false },
          });
        }

        const { text, page } = await listKeys(creation.id);
        expect(page.keys.map((key) => key.id)).toEqual([created.id]);
        expect(text).not.toContain(created.key);
        expect(text).not.toContain(created.key.slice(prefix.length));
        expect(Object.keys(page.keys[0] ?? {})).not.toContain("key");

        const rolled = await roll(creation.id, created.id, 60);
        expect(rolled.key).not.toBe(created.key);
        expect(rolled).toMatchObject({ kind, mode, name: `${kind} ${mode}`, revokes_at: null });
        expect((await use(created, kind)).status).toBe(200);
        expect((await use(rolled, kind)).status).toBe(200);
        const listed = (await listKeys(creation.id)).page.keys;
        expect(listed.map((key) => key.id)).toEqual([rolled.id, created.id]);
        expect(listed[1]?.revokes_at).not.toBeNull();

        setTestClock(clock.now() + 61_000);
        await expectRefused(await use(created, kind), 401, "KEY_REVOKED");
        expect((await use(rolled, kind)).status).toBe(200);
        expect((await listKeys(creation.id)).page.keys.map((key) => key.id)).toEqual([rolled.id]);

        await revoke(creation.id, rolled.id);
        await expectRefused(await use(rolled, kind), 401, "KEY_REVOKED");
        expect((await listKeys(creation.id)).page.keys).toEqual([]);
      });
    }
  }

  it("stores only the key's SHA-256 and start", async () => {
    const creation = await createCreation("alice");
    const created = await createKey(creation.id, { kind: "secret", mode: "live", name: "server" });
    const rows = await runInDurableObject(env.CREATION.getByName(creation.id), (_, state) =>
      state.storage.sql.exec("SELECT * FROM api_keys").toArray(),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hash).toBe(await sha256Hex(created.key));
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(8));
  });

  it("records last_used_at at most once a minute", async () => {
    const creation = await createCreation("alice");
    const created = await createKey(creation.id, { kind: "secret", mode: "live", name: "server" });
    const lastUsed = async () =>
      (await listKeys(creation.id)).page.keys.find((key) => key.id === created.id)?.last_used_at;
    expect(await lastUsed()).toBeNull();
    // The wallet checks the key itself; the touch follows the answer.
    const wallet = `/v1/creations/${creation.id}/wallet`;
    expect((await api(wallet, { headers: asKey(created.key) })).status).toBe(200);
    const { eventually } = await import("./helpers.ts");
    const first = await eventually(lastUsed, (value) => value !== null);
    expect(first).not.toBeNull();
    expect((await use(created)).status).toBe(200);
    expect(await lastUsed()).toBe(first);
    setTestClock(clock.now() + 61_000);
    expect((await use(created)).status).toBe(200);
    const second = await lastUsed();
    expect(Date.parse(second ?? "")).toBeGreaterThan(Date.parse(first ?? ""));
  });

  it("refuses an expired key with KEY_EXPIRED", async () => {
    const creation = await createCreation("alice");
    const expires_at = new Date(clock.now() + 30_000).toISOString();
    const created = await createKey(creation.id, {
      kind: "secret",
      mode: "live",
      name: "short",
      expires_at,
    });
    expect((await use(created)).status).toBe(200);
    setTestClock(clock.now() + 31_000);
    await expectRefused(await use(created), 401, "KEY_EXPIRED");
    const wallet = `/v1/creations/${creation.id}/wallet`;
    await expectRefused(await api(wallet, { headers: asKey(created.key) }), 401, "KEY_EXPIRED");
  });
});

describe("a revoked secret key", () => {
  it("names a scope (or null) on every route open to creation principals", () => {
    for (const { spec } of creationRoutes) {
      expect(spec.scope, `${spec.operationId} says which scope a key needs`).not.toBeUndefined();
    }
  });

  for (const { spec } of creationRoutes) {
    const checkedBy = spec.credentialCheck ?? "router";
    it(`is refused by ${spec.operationId} (checked by the ${checkedBy})`, async () => {
      const f = await fixture();
      const call = CALLS[spec.operationId]?.(f);
      if (!call) throw new Error(`no call for ${spec.operationId}`);
      const created = await createKey(f.creation.id, { kind: "secret", mode: "live", name: "s" });
      const accepted = await send(call, asKey(created.key));
      expect(accepted.status).toBe(call.keyStatus ?? call.status);
      if (call.code && call.keyStatus === undefined) {
        expect((await problemOf(accepted)).code).toBe(call.code);
      }

      await revoke(f.creation.id, created.id);
      const before = await moneyOf(f.creation.id);
      const refused = await send(call, asKey(created.key));
      await expectRefused(refused, 401, "KEY_REVOKED");
      expect(await moneyOf(f.creation.id)).toEqual(before);
    });
  }

  it("refuses every spend sent after the revocation answered, even under load", async () => {
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 10_000);
    const created = await createKey(creation.id, { kind: "secret", mode: "live", name: "s" });
    const spend = (reference: string) =>
      post(
        `/v1/creations/${creation.id}/wallet/spend`,
        { amount: 1, type: "llm", reference_id: reference },
        asKey(created.key),
      );
    const racing = Array.from({ length: 40 }, (_, i) => spend(`race-${i}`));
    await revoke(creation.id, created.id);
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => spend(`after-${i}`)));
    expect(after.map((response) => response.status)).toEqual(Array(20).fill(401));
    const raced = await Promise.all(racing);
    const spent = raced.filter((response) => response.status === 200).length;
    expect(spent + raced.filter((response) => response.status === 401).length).toBe(40);
    expect((await expectCleanAudit(creationWallet(creation.id))).balance).toBe(10_000 - spent);
  });
});

describe("what a key may do", () => {
  it("a scoped key calls only the routes its scopes name", async () => {
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 100);
    const created = await createKey(creation.id, {
      kind: "secret",
      mode: "live",
      name: "reader",
      scopes: ["wallet:read"],
    });
    const headers = asKey(created.key);
    expect((await api(`/v1/creations/${creation.id}/wallet`, { headers })).status).toBe(200);
    expect((await api("/v1/me", { headers })).status).toBe(200);
    const spend = await post(
      `/v1/creations/${creation.id}/wallet/spend`,
      { amount: 5, type: "llm", reference_id: "scoped" },
      headers,
    );
    await expectRefused(spend, 403, "KEY_SCOPE_DENIED");
    const schedules = await api(`/v1/creations/${creation.id}/schedules`, { headers });
    await expectRefused(schedules, 403, "KEY_SCOPE_DENIED");
    expect((await expectCleanAudit(creationWallet(creation.id))).balance).toBe(100);
  });

  it("a test key reads but never moves credits; a live key does", async () => {
    const creation = await createCreation("alice");
    await fundCreation(creation.id, 100);
    const test = await createKey(creation.id, { kind: "secret", mode: "test", name: "t" });
    const live = await createKey(creation.id, { kind: "secret", mode: "live", name: "l" });
    const spend = (key: string, reference: string) =>
      post(
        `/v1/creations/${creation.id}/wallet/spend`,
        { amount: 5, type: "llm", reference_id: reference },
        asKey(key),
      );
    expect(
      (await api(`/v1/creations/${creation.id}/wallet`, { headers: asKey(test.key) })).status,
    ).toBe(200);
    await expectRefused(await spend(test.key, "t"), 403, "TEST_KEY_NOT_ALLOWED");
    expect((await spend(live.key, "l")).status).toBe(200);
    expect((await expectCleanAudit(creationWallet(creation.id))).balance).toBe(95);
  });

  it("a key acts only on its own creation and never manages keys", async () => {
    const mine = await createCreation("alice");
    const other = await createCreation("alice");
    const created = await createKey(mine.id, { kind: "secret", mode: "live", name: "s" });
    const foreign = await api(`/v1/creations/${other.id}/wallet`, { headers: asKey(created.key) });
    await expectRefused(foreign, 403, "CREATION_SCOPE_MISMATCH");
    const minted = await post(
      keysPath(mine.id),
      { kind: "secret", mode: "live", name: "x" },
      asKey(created.key),
    );
    await expectRefused(minted, 403, "CREATION_SCOPE_DENIED");
    const byToken = await post(
      keysPath(mine.id),
      { kind: "secret", mode: "live", name: "x" },
      asCreation(mine.token),
    );
    await expectRefused(byToken, 403, "CREATION_SCOPE_DENIED");
    const byStranger = await post(
      keysPath(mine.id),
      { kind: "secret", mode: "live", name: "x" },
      await bearer({ sub: "mallory" }),
    );
    await expectRefused(byStranger, 403, "FORBIDDEN");
    const body = JSON.stringify({ kind: "publishable", mode: "live", name: "platform" });
    const byPlatform = await api(keysPath(mine.id), {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(await serviceHeaders("POST", keysPath(mine.id), body)),
      },
    });
    expect(byPlatform.status).toBe(201);
  });

  it("refuses malformed key requests with the field named", async () => {
    const creation = await createCreation("alice");
    const owner = await bearer();
    for (const body of [
      { kind: "publishable", mode: "live", name: "p", scopes: ["wallet:read"] },
      { kind: "secret", mode: "live", name: "s", allowed_origins: ["https://a.example"] },
      { kind: "publishable", mode: "live", name: "p", allowed_origins: ["https://a.example/path"] },
      { kind: "secret", mode: "live", name: "s", scopes: ["wallet:steal"] },
      { kind: "secret", mode: "live", name: "s", scopes: [] },
      { kind: "secret", mode: "staging", name: "s" },
      {
        kind: "secret",
        mode: "live",
        name: "s",
        expires_at: new Date(clock.now() - 1000).toISOString(),
      },
      { kind: "secret", mode: "live", name: "s", __proto__: { admin: true }, extra: 1 },
      { kind: "secret", mode: "live" },
    ]) {
      await expectRefused(await post(keysPath(creation.id), body, owner), 400, "INVALID_REQUEST");
    }
    expect((await listKeys(creation.id)).page.keys).toEqual([]);
  });
});

describe("publishable keys", () => {
  it("are refused wherever a secret key or a credential is required", async () => {
    const creation = await createCreation("alice");
    const pk = await createKey(creation.id, { kind: "publishable", mode: "live", name: "page" });
    const wallet = `/v1/creations/${creation.id}/wallet`;
    for (const headers of [
      { authorization: `Bearer ${pk.key}` },
      asKey(pk.key),
      asPage(pk.key),
      { ...asPage(pk.key), ...(await bearer()) },
    ]) {
      await expectRefused(await api(wallet, { headers }), 403, "PUBLISHABLE_KEY_NOT_ALLOWED");
    }
    await expectRefused(await use(pk.key, "secret"), 403, "PUBLISHABLE_KEY_NOT_ALLOWED");
    const sk = await createKey(creation.id, { kind: "secret", mode: "live", name: "server" });
    await expectRefused(await use(sk.key, "publishable"), 401, "INVALID_API_KEY");
    await expectRefused(await api("/v1/publishable-key"), 401, "PUBLISHABLE_KEY_REQUIRED");
  });

  it("work only from their allowed origins", async () => {
    const creation = await createCreation("alice");
    const pk = await createKey(creation.id, {
      kind: "publishable",
      mode: "live",
      name: "page",
      allowed_origins: ["https://game.example", "http://localhost:5173"],
    });
    expect(pk.allowed_origins).toEqual(["https://game.example", "http://localhost:5173"]);
    expect((await use(pk, "publishable", "https://game.example")).status).toBe(200);
    expect((await use(pk, "publishable", "http://localhost:5173")).status).toBe(200);
    await expectRefused(
      await use(pk, "publishable", "https://evil.example"),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
    await expectRefused(
      await use(pk, "publishable", "https://game.example.evil.test"),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
    await expectRefused(await use(pk, "publishable"), 403, "ORIGIN_NOT_ALLOWED");
  });
});

describe("forged keys", () => {
  /** A key with a valid prefix and shape whose tag was not made with TOKEN_SECRET. */
  function forged(prefix: string, creationId: string): string {
    const body = crypto.getRandomValues(new Uint8Array(65));
    const hex = creationId.replace(/-/g, "");
    for (let i = 0; i < 16; i++) body[9 + i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return `${prefix}${base64url(body)}`;
  }

  it("are refused at the edge, waking no actor for a creation that does not exist", async () => {
    const ghost = crypto.randomUUID();
    for (const prefix of ["sk_live_", "sk_test_"]) {
      await expectRefused(await use(forged(prefix, ghost)), 401, "INVALID_API_KEY");
      const wallet = `/v1/creations/${ghost}/wallet`;
      await expectRefused(
        await api(wallet, { headers: asKey(forged(prefix, ghost)) }),
        401,
        "INVALID_API_KEY",
      );
    }
    for (const prefix of ["pk_live_", "pk_test_"]) {
      await expectRefused(await use(forged(prefix, ghost), "publishable"), 401, "INVALID_API_KEY");
    }
    for (const text of [
      "sk_live_",
      "sk_live_%%%%",
      "sk_live_AAAA",
      `sk_live_${"A".repeat(300)}`,
      "pk_test_==",
    ]) {
      await expectRefused(
        await use(text),
        text.startsWith("pk") ? 403 : 401,
        text.startsWith("pk") ? "PUBLISHABLE_KEY_NOT_ALLOWED" : "INVALID_API_KEY",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const inspectedAt = clock.now();
    // Inspecting the actor wakes it: had a forged key woken it first, its schema would be older.
    const applied = await runInDurableObject(env.CREATION.getByName(ghost), (_, state) =>
      state.storage.sql
        .exec<{ applied_at: number }>("SELECT applied_at FROM _troupe_migrations")
        .toArray(),
    );
    expect(applied.length).toBeGreaterThan(0);
    for (const { applied_at } of applied) expect(applied_at).toBeGreaterThanOrEqual(inspectedAt);
  });

  it("a genuine key's creation and id with another secret part is refused by the actor", async () => {
    const creation = await createCreation("alice");
    const created = await createKey(creation.id, { kind: "secret", mode: "live", name: "s" });
    const row = await runInDurableObject(env.CREATION.getByName(creation.id), (_, state) =>
      state.storage.sql.exec<{ hash: string }>("SELECT hash FROM api_keys").one(),
    );
    expect(row.hash).toBe(await sha256Hex(created.key));
    // The same key with a different hash stored: as if TOKEN_SECRET leaked and a key were minted.
    await runInDurableObject(env.CREATION.getByName(creation.id), (_, state) => {
      state.storage.sql.exec("UPDATE api_keys SET hash = ?", "0".repeat(64));
    });
    await expectRefused(await use(created), 401, "INVALID_API_KEY");
  });
});

describe("a thousand keys", () => {
  it("are listed page by page, checked with one row read, and the limit holds", async () => {
    const creation = await createCreation("alice");
    const owner = await bearer();
    const ids: string[] = [];
    const BATCH = 50;
    for (let start = 0; start < API_KEYS_PER_CREATION_MAX; start += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, (_, i) =>
          post(
            keysPath(creation.id),
            { kind: i % 2 ? "secret" : "publishable", mode: "live", name: `k${start + i}` },
            owner,
          ),
        ),
      );
      for (const response of batch) {
        expect(response.status).toBe(201);
        ids.push(((await response.json()) as CreatedKey).id);
      }
    }
    const over = await post(
      keysPath(creation.id),
      { kind: "secret", mode: "live", name: "one more" },
      owner,
    );
    await expectRefused(over, 403, "API_KEY_LIMIT_REACHED");

    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : "?limit=100";
      const { page } = await listKeys(creation.id, query);
      expect(page.keys.length).toBeLessThanOrEqual(100);
      listed.push(...page.keys.map((key) => key.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(listed).toHaveLength(API_KEYS_PER_CREATION_MAX);
    expect(new Set(listed)).toEqual(new Set(ids));

    const last = ids.at(-1) as string;
    const lookup = await runInDurableObject(env.CREATION.getByName(creation.id), (_, state) => {
      const plan = state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${KEY_BY_ID_SQL}`, last)
        .toArray();
      const cursor = state.storage.sql.exec(KEY_BY_ID_SQL, last);
      const rows = cursor.toArray();
      return {
        plan: plan.map((step) => step.detail),
        rows: rows.length,
        rowsRead: cursor.rowsRead,
      };
    });
    expect(lookup.rows).toBe(1);
    expect(lookup.rowsRead).toBe(1);
    expect(lookup.plan.join(" ")).toMatch(
      /SEARCH api_keys USING INDEX sqlite_autoindex_api_keys_1 \(id=\?\)/,
    );
  });
});
