import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { CLAIM_REPAIR_DELAY_MS } from "../src/shared/limits.ts";
import { UserDOWithTestHooks } from "./fixtures/user-hooks.ts";
import { api, bearer, eventually, jsonInit, problemOf } from "./helpers.ts";

const claim = async (name: string, user: string, options: { admin?: boolean } = {}) =>
  api(`/v1/subdomains/${name}/claim`, {
    method: "POST",
    headers: await bearer({ sub: user, ...options }),
  });

/** Sets a user's plan the way a subscription webhook does. */
async function setPlan(
  user: string,
  plan: string | null,
  created = Math.floor(clock.now() / 1000),
) {
  return actorByName(env.USER, user).applyBilling(user, {
    event_id: `evt_${crypto.randomUUID()}`,
    created,
    subscription: plan === null ? "canceled" : "active",
    plan,
  });
}

const projectedOwner = (name: string) =>
  env.DB.prepare("SELECT owner_id FROM subdomains WHERE name = ?")
    .bind(name)
    .first<{ owner_id: string | null }>();

describe("claims", () => {
  it("gives a name to exactly one of 100 concurrent claimants, and D1 agrees", async () => {
    const users = Array.from({ length: 100 }, (_, i) => `racer-${i}`);
    const responses = await Promise.all(users.map((user) => claim("contested", user)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(99);
    const loser = responses.find((response) => response.status === 409) as Response;
    expect((await problemOf(loser)).code).toBe("SUBDOMAIN_TAKEN");
    const winner = users[statuses.indexOf(201)] as string;
    const view = await (await api("/v1/subdomains/contested")).json();
    expect(view).toMatchObject({
      name: "contested",
      available: false,
      owner: winner,
      status: "active",
    });
    const row = await eventually(
      () => projectedOwner("contested"),
      (found) => found?.owner_id === winner,
    );
    expect(row).toEqual({ owner_id: winner });
    const audits = await Promise.all(users.map((user) => actorByName(env.USER, user).audit(user)));
    expect(audits.map((audit) => audit.owned).reduce((a, b) => a + b)).toBe(1);
    expect(audits.every((audit) => audit.ok && audit.pending === 0)).toBe(true);
  });

  it("lets a user on a quota of 3 own exactly 3 of 10 concurrent claims", async () => {
    await setPlan("quinn", "starter");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => claim(`quinn-app-${i}`, "quinn")),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(3);
    const refused = responses.filter((response) => response.status === 403);
    expect(refused).toHaveLength(7);
    expect(await problemOf(refused[0] as Response)).toMatchObject({
      code: "QUOTA_EXCEEDED",
      current: 3,
      limit: 3,
      plan: "starter",
    });
    const audit = await actorByName(env.USER, "quinn").audit("quinn");
    expect(audit).toEqual({ ok: true, owned: 3, pending: 0, limit: 3, problems: [] });
    const mine = await (
      await api("/v1/me/subdomains", { headers: await bearer({ sub: "quinn" }) })
    ).json();
    expect(mine).toMatchObject({ plan: "starter", limit: 3, collaborating: [] });
    expect((mine as { owned: unknown[] }).owned).toHaveLength(3);
  });

  it("lets admins past the quota and an unknown plan claim without limit", async () => {
    await setPlan("root", "starter");
    const admin = await Promise.all(
      [1, 2, 3, 4].map((i) => claim(`root-${i}`, "root", { admin: true })),
    );
    expect(admin.map((response) => response.status)).toEqual([201, 201, 201, 201]);
    await setPlan("vip", "enterprise");
    const vip = await Promise.all([1, 2, 3, 4, 5].map((i) => claim(`vip-${i}`, "vip")));
    expect(vip.every((response) => response.status === 201)).toBe(true);
  });

  it("returns the name again when its owner claims it twice, and frees it on release", async () => {
    expect((await claim("Twice-Mine", "tom")).status).toBe(201);
    const again = await claim("twice-mine", "tom");
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ name: "twice-mine", owner: "tom" });
    const stranger = await api("/v1/subdomains/twice-mine", {
      method: "DELETE",
      headers: await bearer({ sub: "eve" }),
    });
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
    const released = await api("/v1/subdomains/twice-mine", {
      method: "DELETE",
      headers: await bearer({ sub: "tom" }),
    });
    expect(released.status).toBe(204);
    expect(await (await api("/v1/subdomains/twice-mine")).json()).toMatchObject({
      available: true,
      owner: null,
    });
    const tom = await eventually(
      () => actorByName(env.USER, "tom").audit("tom"),
      (audit) => audit.owned === 0,
    );
    expect(tom).toMatchObject({ ok: true, owned: 0 });
    expect((await claim("twice-mine", "una")).status).toBe(201);
  });

  it("is 400 INVALID_SUBDOMAIN for names that are not one DNS label", async () => {
    for (const name of ["-lead", "trail-", "under_score", "dot.ted", "a".repeat(64), "%20"]) {
      const response = await claim(name, "val");
      expect(response.status).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_SUBDOMAIN");
    }
    const upper = await claim("MixedCase", "val");
    expect(await upper.json()).toMatchObject({ name: "mixedcase" });
  });

  it("refuses reserved names and names set aside for someone else, until an admin changes them", async () => {
    const www = await claim("www", "rae");
    expect((await problemOf(www)).code).toBe("SUBDOMAIN_RESERVED");
    const admin = await bearer({ sub: "boss", admin: true });
    const put = (name: string, body: unknown, headers: Record<string, string>) =>
      api(`/v1/admin/subdomains/${name}/reservation`, jsonInit("PUT", body, headers));
    expect(
      (await put("demo", { preallocated_to: "dana" }, await bearer({ sub: "rae" }))).status,
    ).toBe(403);
    expect((await put("demo", { preallocated_to: "dana" }, admin)).status).toBe(200);
    expect((await problemOf(await claim("demo", "rae"))).code).toBe("SUBDOMAIN_PREALLOCATED");
    expect((await claim("demo", "dana")).status).toBe(201);

    expect((await put("secret", { reserved: true }, admin)).status).toBe(200);
    expect((await problemOf(await claim("secret", "rae"))).code).toBe("SUBDOMAIN_RESERVED");
    expect((await put("api", { reserved: false }, admin)).status).toBe(200);
    expect((await claim("api", "rae")).status).toBe(201);
    const listed = (await (await api("/v1/admin/reservations", { headers: admin })).json()) as {
      default_reserved: string[];
    };
    expect(listed.default_reserved).toEqual(["admin", "api", "www"]);
  });
});

describe("the claim saga", () => {
  const reserveOnly = (user: string, name: string) =>
    runInDurableObject(env.USER.getByName(user), (instance) => {
      if (!(instance instanceof UserDOWithTestHooks)) throw new Error("USER lacks its test hooks");
      return instance.reserveOnly(user, name);
    });
  /** The repair job runs when its delay has passed on the clock and the alarm fires. */
  const runRepair = async (user: string) => {
    setTestClock(clock.now() + CLAIM_REPAIR_DELAY_MS + 1);
    await runDurableObjectAlarm(env.USER.getByName(user));
  };

  it("confirms a claim that won when the crash came before its confirmation", async () => {
    const reservation = await reserveOnly("crash-a", "half-done");
    await actorByName(env.SUBDOMAIN, "half-done").claim({
      name: "half-done",
      user_id: "crash-a",
      reservation_id: reservation,
      seq: 0,
      admin: false,
      frozen: false,
    });
    expect(await actorByName(env.USER, "crash-a").audit("crash-a")).toMatchObject({
      owned: 0,
      pending: 1,
    });
    await runRepair("crash-a");
    expect(await actorByName(env.USER, "crash-a").audit("crash-a")).toEqual({
      ok: true,
      owned: 1,
      pending: 0,
      limit: null,
      problems: [],
    });
  });

  it("gives the slot back when the claim never arrived, and refuses it if it arrives late", async () => {
    await setPlan("crash-b", "starter");
    const reservation = await reserveOnly("crash-b", "never-sent");
    await runRepair("crash-b");
    expect(await actorByName(env.USER, "crash-b").audit("crash-b")).toMatchObject({
      ok: true,
      owned: 0,
      pending: 0,
    });
    const late = actorByName(env.SUBDOMAIN, "never-sent").claim({
      name: "never-sent",
      user_id: "crash-b",
      reservation_id: reservation,
      seq: 0,
      admin: false,
      frozen: false,
    });
    await expect(late).rejects.toMatchObject({ code: "CLAIM_EXPIRED" });
    expect(await (await api("/v1/subdomains/never-sent")).json()).toMatchObject({
      available: true,
    });
  });
});
