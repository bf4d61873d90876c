// The secrets vault (issue 14): write-only values per user and per creation, sealed with
// AES-GCM under SECRETS_ENCRYPTION_KEY, read only through resolveCreationSecret. Every answer
// any request in this file gets is recorded, and after each test none may contain any value put.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { resolveCreationSecret } from "../src/actors/secrets/resolve.ts";
import { type SecretRow, SecretVault } from "../src/actors/secrets/vault.ts";
import {
  SECRET_NAME_MAX_LENGTH,
  SECRET_VALUE_MAX_BYTES,
  SECRETS_PER_OWNER_MAX,
} from "../src/shared/limits.ts";
import { openSecret, parseKeyring, sealSecret } from "../src/shared/secret-box.ts";
import { api, asCreation, bearer, createCreation, jsonInit, serviceHeaders } from "./helpers.ts";

// ── recording every answer ─────────────────────────────────────────────────────────────────

/** Every answer of the running test: status, headers and body, as text. */
const answers: string[] = [];
/** Every value put in this file (all long and unique, so none can appear by chance). */
const values = new Set<string>();

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function send(path: string, init?: RequestInit): Promise<Answer> {
  const response = await api(path, init);
  const text = await response.text();
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  answers.push(`${init?.method ?? "GET"} ${path} → ${response.status}\n${headers}\n\n${text}`);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

afterEach(() => {
  const checked = answers.splice(0);
  for (const answer of checked) {
    for (const value of values) expect(answer.includes(value), answer).toBe(false);
  }
});

/** A value no answer could contain by chance; remembered for the check after each test. */
function secret(label: string): string {
  const value = `s3cr3t-${label}-${crypto.randomUUID()}`;
  values.add(value);
  return value;
}

const newUser = () => `user-${crypto.randomUUID()}`;
const code = (answer: Answer) => answer.body?.code;
const namesIn = (answer: Answer) =>
  ((answer.body?.secrets ?? []) as { name: string }[]).map(({ name }) => name);
const fieldsOf = (answer: Answer) =>
  ((answer.body?.errors ?? []) as { field: string }[]).map(({ field }) => field);

async function asUser(sub: string) {
  return bearer({ sub });
}

const putMine = async (sub: string, name: string, value: unknown) =>
  send(`/v1/me/secrets/${name}`, jsonInit("PUT", { value }, await asUser(sub)));

const putCreations = (id: string, name: string, value: unknown, headers: Record<string, string>) =>
  send(`/v1/creations/${id}/secrets/${name}`, jsonInit("PUT", { value }, headers));

/** Signed by the platform: each signed change is accepted once, so every call signs anew. */
async function asPlatform(method: string, path: string, body?: unknown) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = await serviceHeaders(method, path, text);
  return body === undefined
    ? send(path, { method, headers })
    : send(path, jsonInit(method, body, headers));
}

// ── storage and keys, as the tests see them ────────────────────────────────────────────────

const creationStub = (id: string) => env.CREATION.getByName(id);
const userStub = (id: string) => env.USER.getByName(id);

async function rawRows(stub: DurableObjectStub): Promise<SecretRow[]> {
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql.exec<SecretRow>("SELECT * FROM secrets ORDER BY name").toArray(),
  );
}

/** The test keyring with its older key k1 first: what the deployment ran with before k2. */
const keyringBeforeRotation = () =>
  env.SECRETS_ENCRYPTION_KEY.split(",")
    .map((entry) => entry.trim())
    .reverse()
    .join(",");

const bytesOf = (buffer: ArrayBuffer) => new Uint8Array(buffer);
const utf8 = (text: string) => new TextEncoder().encode(text).length;

// ── tests ──────────────────────────────────────────────────────────────────────────────────

describe("a user's secrets (/v1/me/secrets)", () => {
  it("puts (201), replaces (200), lists names sorted, deletes (204), and 404s an absent name", async () => {
    const sub = newUser();
    const created = await putMine(sub, "ZED_KEY", secret("zed"));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: "ZED_KEY",
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      created: true,
    });
    expect((await putMine(sub, "ALPHA", secret("alpha"))).status).toBe(201);
    const replaced = await putMine(sub, "ZED_KEY", secret("zed-2"));
    expect([replaced.status, replaced.body?.created]).toEqual([200, false]);

    const listed = await send("/v1/me/secrets", { headers: await asUser(sub) });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      secrets: [
        { name: "ALPHA", updated_at: expect.any(String) },
        { name: "ZED_KEY", updated_at: replaced.body?.updated_at },
      ],
    });

    const deleted = await send("/v1/me/secrets/ZED_KEY", {
      method: "DELETE",
      headers: await asUser(sub),
    });
    expect([deleted.status, deleted.body]).toEqual([204, null]);
    const again = await send("/v1/me/secrets/ZED_KEY", {
      method: "DELETE",
      headers: await asUser(sub),
    });
    expect([again.status, code(again)]).toEqual([404, "SECRET_NOT_FOUND"]);
    const after = await send("/v1/me/secrets", { headers: await asUser(sub) });
    expect(after.body).toEqual({ secrets: [{ name: "ALPHA", updated_at: expect.any(String) }] });

    // Each user has their own vault.
    const other = await send("/v1/me/secrets", { headers: await asUser(newUser()) });
    expect([other.status, other.body]).toEqual([200, { secrets: [] }]);
  });

  it("is for the signed-in user only: a creation token, the platform and no credentials are refused", async () => {
    const creation = await createCreation(newUser());
    const path = "/v1/me/secrets/ANY_KEY";
    const body = { value: secret("nobody") };
    const byCreation = await send(path, jsonInit("PUT", body, asCreation(creation.token)));
    expect([byCreation.status, code(byCreation)]).toEqual([403, "CREATION_SCOPE_DENIED"]);
    const byPlatform = await asPlatform("PUT", path, body);
    expect([byPlatform.status, code(byPlatform)]).toEqual([403, "FORBIDDEN"]);
    const anonymous = await send(path, jsonInit("PUT", body));
    expect([anonymous.status, code(anonymous)]).toEqual([401, "UNAUTHENTICATED"]);
  });
});

describe("a creation's secrets (/v1/creations/:id/secrets)", () => {
  it("puts, replaces, lists and deletes for the owner and for the platform", async () => {
    const owner = newUser();
    const { id } = await createCreation(owner);
    const ownerHeaders = await asUser(owner);

    const created = await putCreations(id, "OPENAI_API_KEY", secret("openai"), ownerHeaders);
    expect([created.status, created.body?.name, created.body?.created]).toEqual([
      201,
      "OPENAI_API_KEY",
      true,
    ]);
    const byPlatform = await asPlatform("PUT", `/v1/creations/${id}/secrets/ANTHROPIC_KEY`, {
      value: secret("anthropic"),
    });
    expect([byPlatform.status, byPlatform.body?.created]).toEqual([201, true]);
    const replaced = await asPlatform("PUT", `/v1/creations/${id}/secrets/OPENAI_API_KEY`, {
      value: secret("openai-2"),
    });
    expect([replaced.status, replaced.body?.created]).toEqual([200, false]);

    const listed = await send(`/v1/creations/${id}/secrets`, { headers: ownerHeaders });
    expect(listed.body).toEqual({
      secrets: [
        { name: "ANTHROPIC_KEY", updated_at: expect.any(String) },
        { name: "OPENAI_API_KEY", updated_at: expect.any(String) },
      ],
    });
    const listedByPlatform = await asPlatform("GET", `/v1/creations/${id}/secrets`);
    expect(listedByPlatform.body).toEqual(listed.body);

    const deleted = await asPlatform("DELETE", `/v1/creations/${id}/secrets/ANTHROPIC_KEY`);
    expect(deleted.status).toBe(204);
    const deletedByOwner = await send(`/v1/creations/${id}/secrets/OPENAI_API_KEY`, {
      method: "DELETE",
      headers: ownerHeaders,
    });
    expect(deletedByOwner.status).toBe(204);
    const absent = await send(`/v1/creations/${id}/secrets/OPENAI_API_KEY`, {
      method: "DELETE",
      headers: ownerHeaders,
    });
    expect([absent.status, code(absent)]).toEqual([404, "SECRET_NOT_FOUND"]);
    const empty = await send(`/v1/creations/${id}/secrets`, { headers: ownerHeaders });
    expect(empty.body).toEqual({ secrets: [] });
  });

  it("refuses the creation's own rct_ token, another creation's, another user and an admin (403)", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const stranger = await createCreation(newUser());
    await putCreations(creation.id, "KEEP_ME", secret("keep"), await asUser(owner));
    const base = `/v1/creations/${creation.id}/secrets`;
    const callers: [string, Record<string, string>, string][] = [
      ["own token", asCreation(creation.token), "CREATION_SCOPE_DENIED"],
      ["another creation's token", asCreation(stranger.token), "CREATION_SCOPE_DENIED"],
      ["another user", await asUser(newUser()), "FORBIDDEN"],
      ["an admin", await bearer({ sub: newUser(), admin: true }), "FORBIDDEN"],
    ];
    for (const [who, headers, expected] of callers) {
      const put = await putCreations(creation.id, "KEEP_ME", secret(`by-${who}`), headers);
      const list = await send(base, { headers });
      const remove = await send(`${base}/KEEP_ME`, { method: "DELETE", headers });
      expect([who, put.status, code(put)]).toEqual([who, 403, expected]);
      expect([who, list.status, code(list)]).toEqual([who, 403, expected]);
      expect([who, remove.status, code(remove)]).toEqual([who, 403, expected]);
    }
    // Nothing changed: the owner's secret is still the one there.
    const listed = await send(base, { headers: await asUser(owner) });
    expect(listed.body).toEqual({ secrets: [{ name: "KEEP_ME", updated_at: expect.any(String) }] });
    const missing = await putCreations(
      crypto.randomUUID(),
      "KEEP_ME",
      secret("nowhere"),
      await asUser(owner),
    );
    expect([missing.status, code(missing)]).toEqual([404, "CREATION_NOT_FOUND"]);
  });
});

describe("values are write-only", () => {
  it("appear in no answer of any secret route, of GET /v1/creations/:id or of GET /v1/me", async () => {
    const before = answers.length;
    const owner = newUser();
    const ownerHeaders = await asUser(owner);
    const creation = await createCreation(owner);
    const base = `/v1/creations/${creation.id}`;
    await putMine(owner, "PROVIDER_KEY", secret("mine"));
    await putMine(owner, "PROVIDER_KEY", secret("mine-replaced"));
    await putCreations(creation.id, "PROVIDER_KEY", secret("creation"), ownerHeaders);
    await asPlatform("PUT", `${base}/secrets/PROVIDER_KEY`, { value: secret("platform") });
    await putMine(owner, "TOO_BIG", `${secret("big")}${"x".repeat(SECRET_VALUE_MAX_BYTES)}`);
    await putMine(owner, "bad_name", secret("bad-name"));
    await putCreations(creation.id, "KEY", secret("by-token"), asCreation(creation.token));
    await send("/v1/me/secrets", { headers: ownerHeaders });
    await send(`${base}/secrets`, { headers: ownerHeaders });
    await asPlatform("GET", `${base}/secrets`);
    await send(base, { headers: ownerHeaders });
    await send(base, { headers: asCreation(creation.token) });
    await send("/v1/me", { headers: ownerHeaders });
    await send("/v1/me", { headers: asCreation(creation.token) });
    await send(`${base}/secrets/PROVIDER_KEY`, { method: "DELETE", headers: ownerHeaders });
    await send("/v1/me/secrets/PROVIDER_KEY", { method: "DELETE", headers: ownerHeaders });
    // The values were really stored: the resolver reads the last one put for each owner.
    expect(answers.length - before).toBe(16);
    await putMine(owner, "PROVIDER_KEY", secret("final"));
    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toMatch(/^s3cr3t-final-/);
    // The check after each test greps all of these answers for every value put.
  });

  it("are stored sealed: the raw row holds the key id, a fresh 12-byte IV and ciphertext, never the value", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const value = secret("at-rest");
    await putMine(owner, "AT_REST", value);
    await putCreations(creation.id, "AT_REST", value, await asUser(owner));
    const [mine] = await rawRows(userStub(owner));
    const [its] = await rawRows(creationStub(creation.id));
    for (const row of [mine, its]) {
      if (!row) throw new Error("no row stored");
      expect(row.name).toBe("AT_REST");
      expect(row.kid).toBe("k2");
      expect(row.iv.byteLength).toBe(12);
      // AES-GCM: as long as the plaintext, plus a 16-byte tag.
      expect(row.ciphertext.byteLength).toBe(utf8(value) + 16);
      const stored = JSON.stringify(row) + new TextDecoder().decode(row.ciphertext);
      expect(stored).not.toContain(value);
      expect(stored).not.toContain(value.slice(0, 12));
    }
    // The same value, stored twice, shares neither IV nor ciphertext.
    expect(bytesOf(mine?.iv as ArrayBuffer)).not.toEqual(bytesOf(its?.iv as ArrayBuffer));
    expect(bytesOf(mine?.ciphertext as ArrayBuffer)).not.toEqual(
      bytesOf(its?.ciphertext as ArrayBuffer),
    );
  });
});

describe("resolveCreationSecret", () => {
  it("answers the creation's own secret over its owner's, the owner's when the creation has none, else null", async () => {
    const owner = newUser();
    const ownerHeaders = await asUser(owner);
    const creation = await createCreation(owner);
    const mine = secret("owner-key");
    const its = secret("creation-key");
    await putMine(owner, "PROVIDER_KEY", mine);
    await putMine(owner, "ONLY_OWNER", secret("only-owner"));
    await putCreations(creation.id, "PROVIDER_KEY", its, ownerHeaders);

    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toBe(its);
    expect(await resolveCreationSecret(env, creation.id, "ONLY_OWNER")).toMatch(
      /^s3cr3t-only-owner-/,
    );
    expect(await resolveCreationSecret(env, creation.id, "NEITHER")).toBeNull();

    await send(`/v1/creations/${creation.id}/secrets/PROVIDER_KEY`, {
      method: "DELETE",
      headers: ownerHeaders,
    });
    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toBe(mine);
    await send("/v1/me/secrets/PROVIDER_KEY", { method: "DELETE", headers: ownerHeaders });
    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toBeNull();

    // Another user's secret of that name is never used.
    await putMine(newUser(), "STRANGERS_KEY", secret("stranger"));
    expect(await resolveCreationSecret(env, creation.id, "STRANGERS_KEY")).toBeNull();
    await expect(
      resolveCreationSecret(env, crypto.randomUUID(), "PROVIDER_KEY"),
    ).rejects.toMatchObject({ code: "CREATION_NOT_FOUND" });
  });

  it("reads values sealed with the older key k1 after k2 was put in front, and seals new writes with k2", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const old = secret("sealed-with-k1");
    const oldOwners = secret("owner-sealed-with-k1");
    // Written while the deployment's keyring was "k1:…" first.
    await runInDurableObject(creationStub(creation.id), (_instance, state) =>
      new SecretVault(state.storage.sql, keyringBeforeRotation(), `creation:${creation.id}`).put(
        "PROVIDER_KEY",
        { value: old },
      ),
    );
    await runInDurableObject(userStub(owner), (_instance, state) =>
      new SecretVault(state.storage.sql, keyringBeforeRotation(), `user:${owner}`).put(
        "OWNER_KEY",
        { value: oldOwners },
      ),
    );
    expect((await rawRows(creationStub(creation.id))).map((row) => row.kid)).toEqual(["k1"]);

    // Read under today's keyring, "k2:…,k1:…".
    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toBe(old);
    expect(await resolveCreationSecret(env, creation.id, "OWNER_KEY")).toBe(oldOwners);

    const fresh = secret("sealed-with-k2");
    await putCreations(creation.id, "PROVIDER_KEY", fresh, await asUser(owner));
    expect((await rawRows(creationStub(creation.id))).map((row) => row.kid)).toEqual(["k2"]);
    expect(await resolveCreationSecret(env, creation.id, "PROVIDER_KEY")).toBe(fresh);
  });

  it("refuses a value whose key left the keyring with SECRET_UNREADABLE", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const retired = "k0:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    await runInDurableObject(creationStub(creation.id), (_instance, state) =>
      new SecretVault(state.storage.sql, retired, `creation:${creation.id}`).put("OLD_KEY", {
        value: secret("retired"),
      }),
    );
    await expect(resolveCreationSecret(env, creation.id, "OLD_KEY")).rejects.toMatchObject({
      code: "SECRET_UNREADABLE",
      extensions: { name: "OLD_KEY", kid: "k0" },
    });
  });

  it("refuses a row copied to another name or another owner with SECRET_UNREADABLE, never that secret's value", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    await putCreations(creation.id, "REAL_KEY", secret("real"), await asUser(owner));
    await putMine(owner, "OWNER_ONLY", secret("owner-only"));
    // Copy the creation's REAL_KEY row to the name OTHER_KEY.
    await runInDurableObject(creationStub(creation.id), (_instance, state) => {
      state.storage.sql.exec(
        `INSERT INTO secrets (name, kid, iv, ciphertext, created_at, updated_at)
         SELECT 'OTHER_KEY', kid, iv, ciphertext, created_at, updated_at FROM secrets WHERE name = 'REAL_KEY'`,
      );
    });
    await expect(resolveCreationSecret(env, creation.id, "OTHER_KEY")).rejects.toMatchObject({
      code: "SECRET_UNREADABLE",
    });
    // Copy the owner's OWNER_ONLY row, same name, into the creation.
    const [ownerRow] = await rawRows(userStub(owner));
    await runInDurableObject(creationStub(creation.id), (_instance, state) => {
      const row = ownerRow as SecretRow;
      state.storage.sql.exec(
        "INSERT INTO secrets (name, kid, iv, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        row.name,
        row.kid,
        row.iv,
        row.ciphertext,
        row.created_at,
        row.updated_at,
      );
    });
    await expect(resolveCreationSecret(env, creation.id, "OWNER_ONLY")).rejects.toMatchObject({
      code: "SECRET_UNREADABLE",
    });
    // The original still reads.
    expect(await resolveCreationSecret(env, creation.id, "REAL_KEY")).toMatch(/^s3cr3t-real-/);
  });
});

describe("the keyring (SECRETS_ENCRYPTION_KEY)", () => {
  it("parses the test keyring newest first, base64url and padded base64 alike", () => {
    const entries = parseKeyring(env.SECRETS_ENCRYPTION_KEY);
    expect(entries.map(({ kid, raw }) => [kid, raw.length])).toEqual([
      ["k2", 32],
      ["k1", 32],
    ]);
  });

  it.each([
    ["missing", undefined, "is not set"],
    ["empty", " , ", "is not set"],
    ["without a key id", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "needs a key id"],
    ["with a short key", "k1:AAECAwQ", 'key "k1" is not 32 bytes'],
    ["with a key that is not base64", "k1:not base64 at all!", 'key "k1" is not 32 bytes'],
    [
      "with one key id twice",
      "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
      'lists the key id "k1" twice',
    ],
  ])(
    "refuses a keyring %s with SERVER_MISCONFIGURED saying how to fix it",
    async (_, text, says) => {
      const context = { owner: "user:x", name: "KEY" };
      const refused = await sealSecret(text, context, "value-that-is-never-sealed").catch(
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: "SERVER_MISCONFIGURED" });
      expect((refused as Error).message).toContain(says);
      expect((refused as Error).message).toContain("openssl rand -base64 32");
    },
  );

  it("binds each sealed value to its owner and name", async () => {
    const keyring = env.SECRETS_ENCRYPTION_KEY;
    const sealed = await sealSecret(keyring, { owner: "user:a", name: "KEY" }, "bound value");
    expect(await openSecret(keyring, { owner: "user:a", name: "KEY" }, sealed)).toBe("bound value");
    for (const context of [
      { owner: "user:a", name: "KEY2" },
      { owner: "user:b", name: "KEY" },
      { owner: "creation:a", name: "KEY" },
    ]) {
      await expect(openSecret(keyring, context, sealed)).rejects.toMatchObject({
        code: "SECRET_UNREADABLE",
      });
    }
  });

  it("makes a put fail with SERVER_MISCONFIGURED when the keyring is missing, storing nothing", async () => {
    const owner = newUser();
    await runInDurableObject(userStub(owner), async (_instance, state) => {
      const vault = new SecretVault(state.storage.sql, undefined, `user:${owner}`);
      await expect(vault.put("KEY", { value: secret("unsealed") })).rejects.toMatchObject({
        code: "SERVER_MISCONFIGURED",
      });
      expect(vault.list()).toEqual({ secrets: [] });
    });
  });
});

describe("limits", () => {
  it(`accepts ${SECRET_VALUE_MAX_BYTES} bytes of UTF-8 and refuses ${SECRET_VALUE_MAX_BYTES + 1} with 413 SECRET_TOO_LARGE, counting bytes, not characters`, async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const ownerHeaders = await asUser(owner);
    const marker = secret("size"); // ASCII, so its bytes are its characters
    const pad = (text: string, bytes: number) =>
      text + "x".repeat(bytes - utf8(text) - utf8(marker)) + marker;
    const cases: [string, string, number][] = [
      ["ASCII at the limit", pad("", SECRET_VALUE_MAX_BYTES), 201],
      ["ASCII one over", pad("", SECRET_VALUE_MAX_BYTES + 1), 413],
      // é is 2 bytes: 2,000 of them are 4,000 bytes in 2,000 characters.
      ["two-byte é at the limit", pad("é".repeat(2_000), SECRET_VALUE_MAX_BYTES), 201],
      ["two-byte é one over", pad("é".repeat(2_000), SECRET_VALUE_MAX_BYTES + 1), 413],
      // 😀 is 4 bytes in 2 UTF-16 units: 1,200 of them are 4,800 bytes.
      ["four-byte 😀 at the limit", pad("😀".repeat(1_200), SECRET_VALUE_MAX_BYTES), 201],
      ["four-byte 😀 one over", pad("😀".repeat(1_200), SECRET_VALUE_MAX_BYTES + 1), 413],
    ];
    for (const [label, value, status] of cases) {
      values.add(value);
      const name = `SIZE_${status}`;
      const mine = await putMine(owner, name, value);
      const its = await putCreations(creation.id, name, value, ownerHeaders);
      for (const answer of [mine, its]) {
        expect([label, answer.status]).toEqual([label, status]);
        if (status === 413) {
          expect(answer.body).toMatchObject({
            code: "SECRET_TOO_LARGE",
            bytes: SECRET_VALUE_MAX_BYTES + 1,
            limit_bytes: SECRET_VALUE_MAX_BYTES,
          });
        }
      }
      if (status === 201) {
        // Read back byte for byte, then removed so the next case is a new secret again.
        expect(await resolveCreationSecret(env, creation.id, name)).toBe(value);
        await send(`/v1/me/secrets/${name}`, { method: "DELETE", headers: ownerHeaders });
        await send(`/v1/creations/${creation.id}/secrets/${name}`, {
          method: "DELETE",
          headers: ownerHeaders,
        });
      }
    }
    expect((await rawRows(userStub(owner))).length).toBe(0);
  });

  it(`accepts names of [A-Z][A-Z0-9_]{0,${SECRET_NAME_MAX_LENGTH - 1}} and refuses the rest with 400 INVALID_REQUEST naming the path parameter`, async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const ownerHeaders = await asUser(owner);
    for (const name of [
      "A",
      "OPENAI_API_KEY",
      "K_1",
      `K${"_".repeat(SECRET_NAME_MAX_LENGTH - 1)}`,
    ]) {
      expect([name, (await putMine(owner, name, secret("good-name"))).status]).toEqual([name, 201]);
    }
    const refused = [
      "openai_key",
      "Openai",
      "1KEY",
      "_KEY",
      "A".repeat(SECRET_NAME_MAX_LENGTH + 1),
      "__proto__",
      "constructor",
      "KEY-1",
      "KEY.1",
      "K%C3%89Y",
    ];
    for (const name of refused) {
      const refusals = [
        await putMine(owner, name, secret("bad-name")),
        await putCreations(creation.id, name, secret("bad-name"), ownerHeaders),
        await send(`/v1/me/secrets/${name}`, { method: "DELETE", headers: ownerHeaders }),
        await send(`/v1/creations/${creation.id}/secrets/${name}`, {
          method: "DELETE",
          headers: ownerHeaders,
        }),
      ];
      for (const answer of refusals) {
        expect([name, answer.status, code(answer), answer.body?.location]).toEqual([
          name,
          400,
          "INVALID_REQUEST",
          "path",
        ]);
        expect(answer.body?.errors).toEqual([{ field: "name", message: expect.any(String) }]);
      }
    }
    const listed = await send("/v1/me/secrets", { headers: ownerHeaders });
    expect(namesIn(listed).length).toBe(4);
  });

  it(`holds exactly ${SECRETS_PER_OWNER_MAX} secrets per owner, even when ${SECRETS_PER_OWNER_MAX + 1} puts race: then 403 SECRET_LIMIT_REACHED`, async () => {
    const owner = newUser();
    const ownerHeaders = await asUser(owner);
    const names = Array.from({ length: SECRETS_PER_OWNER_MAX + 1 }, (_, i) => `KEY_${i}`);
    const raced = await Promise.all(names.map((name) => putMine(owner, name, secret("cap"))));
    expect(raced.filter((answer) => answer.status === 201).length).toBe(SECRETS_PER_OWNER_MAX);
    const over = raced.filter((answer) => answer.status !== 201);
    expect(over.map((answer) => [answer.status, code(answer), answer.body?.limit])).toEqual([
      [403, "SECRET_LIMIT_REACHED", SECRETS_PER_OWNER_MAX],
    ]);
    const listed = await send("/v1/me/secrets", { headers: ownerHeaders });
    const stored = namesIn(listed);
    expect(stored.length).toBe(SECRETS_PER_OWNER_MAX);

    // At the cap, replacing an existing name still works; a new one does not.
    const replaced = await putMine(owner, stored[0] as string, secret("cap-replace"));
    expect([replaced.status, replaced.body?.created]).toEqual([200, false]);
    const extra = await putMine(owner, "ONE_MORE", secret("cap-extra"));
    expect([extra.status, code(extra)]).toEqual([403, "SECRET_LIMIT_REACHED"]);
    // A delete frees exactly one slot: the 100th is accepted again, the 101st refused.
    await send(`/v1/me/secrets/${stored[1]}`, { method: "DELETE", headers: ownerHeaders });
    expect((await putMine(owner, "ONE_MORE", secret("cap-100th"))).status).toBe(201);
    const after = await putMine(owner, "TWO_MORE", secret("cap-101st"));
    expect([after.status, code(after)]).toEqual([403, "SECRET_LIMIT_REACHED"]);
    expect((await rawRows(userStub(owner))).length).toBe(SECRETS_PER_OWNER_MAX);

    // The cap is per owner: the same user's creation has its own.
    const creation = await createCreation(owner);
    const its = await putCreations(creation.id, "KEY_0", secret("cap-creation"), ownerHeaders);
    expect(its.status).toBe(201);
  });

  it("refuses a value that is not a non-empty string with 400, naming the field", async () => {
    const owner = newUser();
    const creation = await createCreation(owner);
    const ownerHeaders = await asUser(owner);
    const bodies: [string, string, string, string][] = [
      ["a number", '{"value":12345}', "INVALID_REQUEST", "value"],
      ["null", '{"value":null}', "INVALID_REQUEST", "value"],
      ["a boolean", '{"value":true}', "INVALID_REQUEST", "value"],
      ["an array", '{"value":["a"]}', "INVALID_REQUEST", "value"],
      ["an object", '{"value":{"a":"b"}}', "INVALID_REQUEST", "value"],
      ["an empty string", '{"value":""}', "INVALID_REQUEST", "value"],
      ["a lone surrogate", '{"value":"abc\\ud800"}', "INVALID_REQUEST", "value"],
      ["missing", "{}", "INVALID_REQUEST", "value"],
      ["with an unknown field", '{"value":"abcdefgh","extra":1}', "INVALID_REQUEST", "extra"],
      ["a bare string", '"abcdefgh"', "INVALID_REQUEST", "body"],
      ["not JSON", "{value:", "INVALID_JSON", ""],
    ];
    for (const [label, body, expected, field] of bodies) {
      for (const path of ["/v1/me/secrets/KEY", `/v1/creations/${creation.id}/secrets/KEY`]) {
        const answer = await send(path, {
          method: "PUT",
          headers: { ...ownerHeaders, "content-type": "application/json" },
          body,
        });
        expect([label, path, answer.status, code(answer)]).toEqual([label, path, 400, expected]);
        if (field) {
          expect([label, fieldsOf(answer)]).toEqual([label, [field]]);
        }
      }
    }
    const mine = await send("/v1/me/secrets", { headers: ownerHeaders });
    const its = await send(`/v1/creations/${creation.id}/secrets`, { headers: ownerHeaders });
    expect([mine.body, its.body]).toEqual([{ secrets: [] }, { secrets: [] }]);
  });
});
