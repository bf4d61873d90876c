import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { reconcileSubdomains } from "../src/jobs/reconcile-subdomains.ts";
import { clock } from "../src/shared/clock.ts";
import { api, bearer, eventually, jsonInit } from "./helpers.ts";
import { deliverStripe, stripeHeader, subscriptionEvent } from "./stripe-helpers.ts";
import { asService } from "./wallet-helpers.ts";

/** A second later than any request so far: running an import again is a new request, so it
 * is signed anew (the same bytes twice in one second would be refused as a replay). */
const later = () => Math.floor(clock.now() / 1000) + 1;

const post = async (path: string, body: unknown, user?: { sub: string; email?: string }) =>
  api(path, jsonInit("POST", body, user ? await bearer(user) : {}));
const json = async (response: Response | Promise<Response>) => (await response).json();
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/);

describe("seed 004 compatibility under /registry", () => {
  it("claims and checks with the seed's shapes and error bodies", async () => {
    const claimed = await post("/registry/claim", { subdomain: "Compat-One" }, { sub: "kim" });
    expect(claimed.status).toBe(200);
    expect(await claimed.json()).toEqual({
      success: true,
      subdomain: "compat-one",
      ownerId: "kim",
      claimedAt: ISO,
    });
    const taken = await post("/registry/claim", { subdomain: "compat-one" }, { sub: "lee" });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toEqual({
      error: '"compat-one" is already claimed.',
      reason: "subdomain_taken",
    });
    const invalid = await post("/registry/claim", { subdomain: "no_way" }, { sub: "lee" });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ reason: "invalid_subdomain" });

    expect(await json(api("/registry/check/compat-one"))).toEqual({
      subdomain: "compat-one",
      available: false,
      reason: "claimed",
    });
    expect(await json(api("/registry/check/compat-free"))).toEqual({
      subdomain: "compat-free",
      available: true,
    });
    expect(await json(api("/registry/check/www"))).toEqual({
      subdomain: "www",
      available: false,
      reason: "reserved",
    });
  });

  it("answers a quota refusal as { reason: quota_exceeded, current, limit }", async () => {
    await deliverStripe(
      subscriptionEvent("created", "mia", "starter", Math.floor(clock.now() / 1000)),
    );
    for (const name of ["mia-1", "mia-2", "mia-3"]) {
      expect((await post("/registry/claim", { subdomain: name }, { sub: "mia" })).status).toBe(200);
    }
    const refused = await post("/registry/claim", { subdomain: "mia-4" }, { sub: "mia" });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ reason: "quota_exceeded", current: 3, limit: 3 });
  });

  it("invites, joins, checks access and resolves for every kind of visitor", async () => {
    await post("/registry/claim", { subdomain: "compat-team" }, { sub: "ned" });
    const invited = await post(
      "/registry/invite",
      { subdomain: "compat-team", email: "ora@example.com" },
      { sub: "ned" },
    );
    expect(await invited.json()).toEqual({
      success: true,
      subdomain: "compat-team",
      collaborators: [
        { email: "ora@example.com", status: "invited", right: "write", invitedAt: ISO },
      ],
    });
    const resolveAs = async (user?: { sub: string; email?: string }) =>
      json(api("/registry/resolve/compat-team", { headers: user ? await bearer(user) : {} }));
    expect(await resolveAs()).toEqual({ role: "none", frozen: false });
    expect(await resolveAs({ sub: "ora", email: "ora@example.com" })).toEqual({
      role: "invited",
      frozen: false,
    });
    expect(await json(api("/registry/resolve/compat-nobody"))).toEqual({
      role: "unclaimed",
      frozen: false,
    });

    const joined = await post(
      "/registry/join",
      { subdomain: "compat-team" },
      { sub: "ora", email: "ora@example.com" },
    );
    expect(await joined.json()).toEqual({
      success: true,
      subdomain: "compat-team",
      role: "collaborator",
    });
    const access = (user: string) => json(api(`/registry/check/compat-team/access?userId=${user}`));
    expect(await access("ora")).toEqual({ hasAccess: true, role: "collaborator" });
    expect(await access("ned")).toEqual({ hasAccess: true, role: "owner" });
    expect(await access("pia")).toEqual({ hasAccess: false, role: "none" });
    expect(await resolveAs({ sub: "ora", email: "ora@example.com" })).toEqual({
      role: "collaborator",
      frozen: false,
    });
    expect(await resolveAs({ sub: "ned" })).toEqual({ role: "owner", frozen: false });
    const notInvited = await post(
      "/registry/join",
      { subdomain: "compat-team" },
      { sub: "pia", email: "pia@example.com" },
    );
    expect(notInvited.status).toBe(403);
    expect(await notInvited.json()).toMatchObject({ reason: "not_invited" });

    // Subscription webhooks at the seed's path freeze the owner's names.
    const t = Math.floor(clock.now() / 1000);
    const body = subscriptionEvent("deleted", "ned", null, t);
    const frozen = await api("/registry/webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": await stripeHeader(body) },
      body,
    });
    expect(await frozen.json()).toEqual({ received: true, applied: true, replayed: false });
    expect(
      await eventually(
        () => resolveAs({ sub: "ora", email: "ora@example.com" }),
        (r) => (r as { frozen: boolean }).frozen,
      ),
    ).toEqual({
      role: "collaborator",
      frozen: true,
    });
    expect(await access("ora")).toEqual({ hasAccess: false, role: "collaborator" });
  });

  it("serves registry.json in the seed's layout from the projection", async () => {
    await post("/registry/claim", { subdomain: "compat-listed" }, { sub: "quin" });
    const document = (await eventually(
      () => json(api("/registry/registry.json")),
      (doc) => "compat-listed" in (doc as { claims: object }).claims,
    )) as {
      claims: Record<string, unknown>;
      reserved: string[];
      preallocated: object;
      truncated: boolean;
    };
    expect(document.claims["compat-listed"]).toEqual({
      ownerId: "quin",
      claimedAt: ISO,
      status: "active",
      collaborators: [],
    });
    expect(document.reserved).toEqual(expect.arrayContaining(["admin", "api", "www"]));
    expect(document.truncated).toBe(false);
  });
});

describe("importing the old KV registry", () => {
  const perKey = {
    "subdomain:alpha": {
      ownerId: "legacy-1",
      claimedAt: "2026-02-11T10:00:00.000Z",
      collaborators: [],
    },
    "subdomain:beta": JSON.stringify({
      ownerId: "legacy-2",
      claimedAt: "2026-02-12T10:00:00.000Z",
      status: "frozen",
      frozenAt: "2026-03-01T00:00:00.000Z",
      collaborators: [
        {
          email: "c@x.com",
          userId: "legacy-3",
          status: "active",
          right: "write",
          invitedAt: "2026-02-12T11:00:00.000Z",
          joinedAt: "2026-02-12T12:00:00.000Z",
        },
        {
          email: "d@x.com",
          status: "invited",
          right: "write",
          invitedAt: "2026-02-12T11:00:00.000Z",
        },
      ],
    }),
    "subdomain:Bad_Name": { ownerId: "legacy-1" },
    "subdomain:gamma": { nobody: true },
    "user:legacy-1": { subdomains: ["alpha"], ownedSubdomains: ["alpha"], quota: 3 },
    "config:reserved": ["legacy-blocked"],
    "config:preallocated": { "legacy-vip": "legacy-9" },
    "something:else": 1,
  };

  it("imports per-key records once, normalizing records without status, and reports the rest", async () => {
    const first = await json(asService("POST", "/v1/admin/registry/import", { records: perKey }));
    expect(first).toEqual({
      imported: ["config:preallocated", "config:reserved", "subdomain:alpha", "subdomain:beta"],
      unchanged: [],
      skipped: [
        { key: "something:else", reason: "unknown key" },
        { key: "subdomain:Bad_Name", reason: "not a valid subdomain name" },
        {
          key: "subdomain:gamma",
          reason:
            "not a subdomain record (needs a valid ownerId, and valid collaborator emails and user ids)",
        },
        { key: "user:legacy-1", reason: "user records are rebuilt from the subdomain records" },
      ],
    });
    const again = await json(
      asService("POST", "/v1/admin/registry/import", { records: perKey }, { nowSeconds: later() }),
    );
    expect(again).toMatchObject({
      imported: [],
      unchanged: ["config:preallocated", "config:reserved", "subdomain:alpha", "subdomain:beta"],
    });

    expect(await json(api("/v1/subdomains/alpha"))).toMatchObject({
      owner: "legacy-1",
      status: "active",
      claimed_at: "2026-02-11T10:00:00.000Z",
    });
    expect(await json(api("/v1/subdomains/beta"))).toMatchObject({
      owner: "legacy-2",
      status: "frozen",
      frozen_at: "2026-03-01T00:00:00.000Z",
    });
    expect(await json(api("/registry/check/beta/access?userId=legacy-3"))).toEqual({
      hasAccess: false,
      role: "collaborator",
    });
    expect(await json(api("/registry/check/legacy-blocked"))).toMatchObject({
      available: false,
      reason: "reserved",
    });
    const vip = await post("/v1/subdomains/legacy-vip/claim", {}, { sub: "someone" });
    expect(vip.status).toBe(403);
    const index = await eventually(
      async () => json(api("/v1/me/subdomains", { headers: await bearer({ sub: "legacy-2" }) })),
      (mine) => (mine as { owned: unknown[] }).owned.length === 1,
    );
    expect(index).toMatchObject({ owned: [{ name: "beta", frozen: true }] });
    expect(await actorByName(env.USER, "legacy-1").audit("legacy-1")).toMatchObject({
      ok: true,
      owned: 1,
    });
  });

  it("imports the monolithic blob, twice, and never takes a name someone holds", async () => {
    await post("/v1/subdomains/held-name/claim", {}, { sub: "holder" });
    const registry = {
      claims: {
        delta: { userId: "blob-user", claimedAt: "2025-12-01T00:00:00.000Z" },
        "held-name": { ownerId: "blob-user" },
      },
      reserved: ["admin", "api", "www"],
    };
    expect(await json(asService("POST", "/v1/admin/registry/import", { registry }))).toEqual({
      imported: ["subdomain:delta"],
      unchanged: ["config:reserved"],
      skipped: [{ key: "subdomain:held-name", reason: "already claimed by holder" }],
    });
    expect(
      await json(
        asService("POST", "/v1/admin/registry/import", { registry }, { nowSeconds: later() }),
      ),
    ).toMatchObject({
      imported: [],
      unchanged: ["config:reserved", "subdomain:delta"],
    });
    const byUser = await post("/v1/admin/registry/import", { registry }, { sub: "not-admin" });
    expect(byUser.status).toBe(403);
  });
});

describe("reconcile-subdomains", () => {
  it("repairs a projection row that drifted from its actor", async () => {
    await post("/v1/subdomains/drifted/claim", {}, { sub: "rita" });
    await eventually(
      () =>
        env.DB.prepare("SELECT owner_id FROM subdomains WHERE name = 'drifted'").first<{
          owner_id: string;
        }>(),
      (row) => row?.owner_id === "rita",
    );
    await env.DB.prepare(
      "UPDATE subdomains SET owner_id = 'mallory', revision = 0 WHERE name = 'drifted'",
    ).run();
    let report = await reconcileSubdomains(env, 1000);
    while (report.cursor !== "") report = await reconcileSubdomains(env, 1000);
    const row = await env.DB.prepare(
      "SELECT owner_id FROM subdomains WHERE name = 'drifted'",
    ).first();
    expect(row).toEqual({ owner_id: "rita" });
  });
});
