import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { OUTBOX_DELIVER_TASK } from "../src/actors/outbox.ts";
import { actorByName } from "../src/actors/refusal.ts";
import { clock } from "../src/shared/clock.ts";
import { api, bearer, eventually, jsonInit, problemOf } from "./helpers.ts";
import { deliverStripe, subscriptionEvent } from "./stripe-helpers.ts";

const claim = async (name: string, user: string) =>
  api(`/v1/subdomains/${name}/claim`, { method: "POST", headers: await bearer({ sub: user }) });

const accessOf = async (name: string, user: string) =>
  (
    await api(`/v1/subdomains/${name}/access?user_id=${user}`, {
      headers: await bearer({ sub: user }),
    })
  ).json();

const statusOf = async (name: string) =>
  ((await (await api(`/v1/subdomains/${name}`)).json()) as { status: string }).status;

/** Outbox deliveries a user's actor still has to make. */
async function pendingDeliveries(user: string) {
  const jobs = await actorByName(env.USER, user).listSchedules();
  return jobs.filter((job) => job.task === OUTBOX_DELIVER_TASK);
}

async function statuses(names: string[]) {
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await statusOf(name)])),
  );
}

describe("collaborators", () => {
  it("invites, joins, checks access and removes, with each role seeing what it should", async () => {
    expect((await claim("team", "olive")).status).toBe(201);
    const owner = await bearer({ sub: "olive" });
    const invite = await api(
      "/v1/subdomains/team/invites",
      jsonInit("POST", { email: "Bob@Example.com" }, owner),
    );
    expect(invite.status).toBe(201);
    expect(await invite.json()).toMatchObject({
      collaborators: [
        { email: "bob@example.com", status: "invited", right: "write", user_id: null },
      ],
    });
    const notOwner = await api(
      "/v1/subdomains/team/invites",
      jsonInit("POST", { email: "x@example.com" }, await bearer({ sub: "mallory" })),
    );
    expect((await problemOf(notOwner)).code).toBe("FORBIDDEN");

    expect(await accessOf("team", "bob")).toEqual({
      has_access: false,
      role: "none",
      frozen: false,
    });
    const stranger = await api("/v1/subdomains/team/join", {
      method: "POST",
      headers: await bearer({ sub: "sam", email: "sam@example.com" }),
    });
    expect((await problemOf(stranger)).code).toBe("NOT_INVITED");
    const noEmail = await api("/v1/subdomains/team/join", {
      method: "POST",
      headers: await bearer({ sub: "bob" }),
    });
    expect((await problemOf(noEmail)).code).toBe("EMAIL_REQUIRED");
    const joined = await api("/v1/subdomains/team/join", {
      method: "POST",
      headers: await bearer({ sub: "bob", email: "bob@example.com" }),
    });
    expect(await joined.json()).toMatchObject({
      collaborators: [{ email: "bob@example.com", status: "active", user_id: "bob" }],
    });
    expect(await accessOf("team", "bob")).toEqual({
      has_access: true,
      role: "collaborator",
      frozen: false,
    });
    expect(await accessOf("team", "olive")).toEqual({
      has_access: true,
      role: "owner",
      frozen: false,
    });
    const bobs = await eventually(
      async () =>
        (await api("/v1/me/subdomains", { headers: await bearer({ sub: "bob" }) })).json(),
      (mine) => (mine as { collaborating: unknown[] }).collaborating.length === 1,
    );
    expect(bobs).toMatchObject({ collaborating: [{ name: "team", right: "write" }], owned: [] });

    // Only members see the collaborator list.
    expect(await (await api("/v1/subdomains/team")).json()).not.toHaveProperty("collaborators");
    const asBob = await (
      await api("/v1/subdomains/team", { headers: await bearer({ sub: "bob" }) })
    ).json();
    expect(asBob).toHaveProperty("collaborators");

    const removed = await api("/v1/subdomains/team/collaborators/bob%40example.com", {
      method: "DELETE",
      headers: owner,
    });
    expect(removed.status).toBe(204);
    expect(await accessOf("team", "bob")).toEqual({
      has_access: false,
      role: "none",
      frozen: false,
    });
    const after = await eventually(
      async () =>
        (await api("/v1/me/subdomains", { headers: await bearer({ sub: "bob" }) })).json(),
      (mine) => (mine as { collaborating: unknown[] }).collaborating.length === 0,
    );
    expect(after).toMatchObject({ collaborating: [] });
  });

  it("lets a collaborator leave on their own, and nobody else remove them", async () => {
    await claim("club", "cora");
    await api(
      "/v1/subdomains/club/invites",
      jsonInit("POST", { email: "dan@example.com", right: "read" }, await bearer({ sub: "cora" })),
    );
    await api("/v1/subdomains/club/join", {
      method: "POST",
      headers: await bearer({ sub: "dan", email: "dan@example.com" }),
    });
    const byStranger = await api("/v1/subdomains/club/collaborators/dan@example.com", {
      method: "DELETE",
      headers: await bearer({ sub: "eve" }),
    });
    expect((await problemOf(byStranger)).code).toBe("FORBIDDEN");
    const leaving = await api("/v1/subdomains/club/collaborators/dan@example.com", {
      method: "DELETE",
      headers: await bearer({ sub: "dan" }),
    });
    expect(leaving.status).toBe(204);
    const gone = await api("/v1/subdomains/club/collaborators/dan@example.com", {
      method: "DELETE",
      headers: await bearer({ sub: "cora" }),
    });
    expect((await problemOf(gone)).code).toBe("COLLABORATOR_NOT_FOUND");
  });
});

describe("billing drives status", () => {
  const names = ["fay-a", "fay-b", "fay-c", "fay-d", "fay-e"];

  it("freezes the most recently claimed names on a downgrade, and unfreezes on upgrade and resubscribe", async () => {
    const t = Math.floor(clock.now() / 1000);
    expect((await deliverStripe(subscriptionEvent("created", "fay", "pro", t))).status).toBe(200);
    for (const name of names) expect((await claim(name, "fay")).status).toBe(201);

    await deliverStripe(subscriptionEvent("updated", "fay", "starter", t + 1));
    const downgraded = {
      "fay-a": "active",
      "fay-b": "active",
      "fay-c": "active",
      "fay-d": "frozen",
      "fay-e": "frozen",
    };
    expect(
      await eventually(
        () => statuses(names),
        (s) => JSON.stringify(s) === JSON.stringify(downgraded),
      ),
    ).toEqual(downgraded);
    expect(await accessOf("fay-e", "fay")).toEqual({
      has_access: false,
      role: "owner",
      frozen: true,
    });
    const overQuota = await claim("fay-f", "fay");
    expect(await problemOf(overQuota)).toMatchObject({
      code: "QUOTA_EXCEEDED",
      current: 5,
      limit: 3,
    });

    await deliverStripe(subscriptionEvent("updated", "fay", "pro", t + 2));
    const allActive = Object.fromEntries(names.map((name) => [name, "active"]));
    expect(
      await eventually(
        () => statuses(names),
        (s) => JSON.stringify(s) === JSON.stringify(allActive),
      ),
    ).toEqual(allActive);

    await deliverStripe(subscriptionEvent("deleted", "fay", null, t + 3));
    const allFrozen = Object.fromEntries(names.map((name) => [name, "frozen"]));
    expect(
      await eventually(
        () => statuses(names),
        (s) => JSON.stringify(s) === JSON.stringify(allFrozen),
      ),
    ).toEqual(allFrozen);

    await deliverStripe(subscriptionEvent("created", "fay", "pro", t + 4));
    expect(
      await eventually(
        () => statuses(names),
        (s) => JSON.stringify(s) === JSON.stringify(allActive),
      ),
    ).toEqual(allActive);
    expect((await actorByName(env.USER, "fay").audit("fay")).ok).toBe(true);
  });

  it("applies a redelivered event once and ignores an older event that arrives late", async () => {
    const t = Math.floor(clock.now() / 1000);
    await deliverStripe(subscriptionEvent("created", "gus", "pro", t));
    expect((await claim("gus-one", "gus")).status).toBe(201);
    const upgrade = subscriptionEvent("updated", "gus", "pro", t + 10, "evt_gus_upgrade");
    const first = await (await deliverStripe(upgrade)).json();
    const second = await (await deliverStripe(upgrade)).json();
    expect(first).toEqual({ received: true, applied: true, replayed: false });
    expect(second).toEqual({ received: true, applied: true, replayed: true });

    // The upgrade's messages to the subdomains are all delivered before the late event comes.
    await eventually(
      () => pendingDeliveries("gus"),
      (pending) => pending.length === 0,
    );
    // The cancellation was sent before the upgrade but arrives after it.
    const late = await (
      await deliverStripe(subscriptionEvent("deleted", "gus", null, t + 5))
    ).json();
    expect(late).toEqual({ received: true, applied: false, reason: "stale event" });
    // Not applied means nothing was sent to the subdomains: no delivery is pending.
    expect(await pendingDeliveries("gus")).toEqual([]);
    expect(await statusOf("gus-one")).toBe("active");
  });

  it("does not let a collaborator's subscription unfreeze the owner's name", async () => {
    const t = Math.floor(clock.now() / 1000);
    await deliverStripe(subscriptionEvent("created", "hal", "starter", t));
    await claim("hal-app", "hal");
    await api(
      "/v1/subdomains/hal-app/invites",
      jsonInit("POST", { email: "ivy@example.com" }, await bearer({ sub: "hal" })),
    );
    await api("/v1/subdomains/hal-app/join", {
      method: "POST",
      headers: await bearer({ sub: "ivy", email: "ivy@example.com" }),
    });
    await deliverStripe(subscriptionEvent("deleted", "hal", null, t + 1));
    await eventually(
      () => statusOf("hal-app"),
      (status) => status === "frozen",
    );
    await eventually(
      () => pendingDeliveries("ivy"),
      (pending) => pending.length === 0,
    );
    await deliverStripe(subscriptionEvent("created", "ivy", "pro", t + 2));
    // ivy owns nothing, so her upgrade sends nothing: no delivery is pending that could unfreeze.
    expect(await pendingDeliveries("ivy")).toEqual([]);
    expect(await statusOf("hal-app")).toBe("frozen");
    expect(await accessOf("hal-app", "ivy")).toEqual({
      has_access: false,
      role: "collaborator",
      frozen: true,
    });
  });
});
