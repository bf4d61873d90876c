import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  CREATION_SCHEDULE_MIN_INTERVAL_SECONDS,
  CREATION_SCHEDULES_MAX,
  CREATION_WEBHOOK_RETRY_BASE_MS,
  SCHEDULER_MAX_ATTEMPTS,
  SCHEDULER_RETRY_MAX_DELAY_MS,
} from "../src/shared/limits.ts";
import { verifyWebhook } from "../src/shared/webhook-signature.ts";
import { api, asCreation, bearer, createCreation, jsonInit, problemOf } from "./helpers.ts";

const receiver = inject("webhookReceiverUrl");
const WAIT = { timeout: 8_000, interval: 50 };

type Received = { path: string; headers: Record<string, string>; body: string };
async function received(key: string): Promise<Received[]> {
  return (await (await fetch(`${receiver}/received/${key}`)).json()) as Received[];
}

async function put(id: string, name: string, body: unknown, headers?: Record<string, string>) {
  return api(
    `/v1/creations/${id}/schedules/${name}`,
    jsonInit("PUT", body, headers ?? (await bearer())),
  );
}

async function schedules(id: string, headers?: Record<string, string>) {
  const response = await api(`/v1/creations/${id}/schedules`, {
    headers: headers ?? (await bearer()),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Array<Record<string, unknown>>;
}

const hook = (path: string) => ({ type: "webhook", url: `${receiver}${path}` });

describe("schedule input", () => {
  it.each([
    ["two timings", { cron: "0 9 * * *", delay_seconds: 60 }, "INVALID_SCHEDULE_TIMING"],
    ["no timing", {}, "INVALID_SCHEDULE_TIMING"],
    ["a bad cron string", { cron: "61 * * * *" }, "INVALID_CRON"],
    ["a cron that never fires", { cron: "0 0 30 2 *" }, "INVALID_CRON"],
    ["a cron every 10 seconds", { cron: "*/10 * * * * *" }, "CRON_TOO_FREQUENT"],
    ["a past at", { at: "2020-01-01T00:00:00Z" }, "SCHEDULE_IN_PAST"],
    [
      "an at two years ahead",
      { at: new Date(clock.now() + 2 * 366 * 86_400_000).toISOString() },
      "SCHEDULE_TOO_FAR",
    ],
  ])("is 400 for %s", async (_, timing, code) => {
    const { id } = await createCreation();
    const response = await put(id, "job", { ...timing, target: hook("/ok/never") });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).code).toBe(code);
    expect(await schedules(id)).toEqual([]);
  });

  it("is 400 INVALID_WEBHOOK_URL for a non-https URL other than localhost, or no URL at all", async () => {
    const { id } = await createCreation();
    for (const target of [
      { type: "webhook", url: "http://hooks.example.com/troupe" },
      { type: "webhook", url: "ftp://127.0.0.1/troupe" },
      { type: "webhook" },
    ]) {
      const response = await put(id, "job", { delay_seconds: 60, target });
      expect(response.status, JSON.stringify(target)).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_WEBHOOK_URL");
    }
  });

  it("is 400 INVALID_REQUEST naming the field for a malformed body or name", async () => {
    const { id } = await createCreation();
    const badUrl = await problemOf(
      await put(id, "job", { delay_seconds: 60, target: { type: "webhook", url: "nope" } }),
    );
    expect(badUrl.detail).toBe("body target.url: must be an absolute URL");
    const badDelay = await problemOf(
      await put(id, "job", { delay_seconds: 1.5, target: hook("/ok/x") }),
    );
    expect(badDelay.detail).toBe("body delay_seconds: must be whole seconds");
    const badName = await problemOf(
      await put(id, "Bad Name", { delay_seconds: 60, target: hook("/ok/x") }),
    );
    expect(badName.code).toBe("INVALID_REQUEST");
    expect(badName.location).toBe("path");
  });

  it("accepts a room target without a webhook URL, and refuses a bad room name", async () => {
    const { id } = await createCreation();
    const response = await put(id, "job", {
      delay_seconds: 60,
      target: { type: "room", room: "lobby", message: {} },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ target: { type: "room", room: "lobby" } });
    const bad = await put(id, "job2", {
      delay_seconds: 60,
      target: { type: "room", room: "no room", message: {} },
    });
    expect((await problemOf(bad)).detail).toMatch(/^body target\.room: /);
  });

  it(`stops at ${CREATION_SCHEDULES_MAX} schedules with 403 SCHEDULE_LIMIT_REACHED`, async () => {
    const { id } = await createCreation();
    const headers = await bearer();
    for (let i = 0; i < CREATION_SCHEDULES_MAX; i++) {
      expect(
        (await put(id, `job-${i}`, { cron: "0 9 * * *", target: hook("/ok/x") }, headers)).status,
      ).toBe(201);
    }
    const over = await put(id, "one-more", { cron: "0 9 * * *", target: hook("/ok/x") }, headers);
    expect(over.status).toBe(403);
    expect(await problemOf(over)).toMatchObject({
      code: "SCHEDULE_LIMIT_REACHED",
      limit: CREATION_SCHEDULES_MAX,
    });
    // Replacing an existing one is still allowed.
    expect(
      (await put(id, "job-0", { cron: "0 10 * * *", target: hook("/ok/x") }, headers)).status,
    ).toBe(200);
    expect(await schedules(id, headers)).toHaveLength(CREATION_SCHEDULES_MAX);
  });
});

describe("schedule lifecycle", () => {
  it("creates, replaces, lists and deletes a cron schedule", async () => {
    const { id } = await createCreation();
    const created = await put(id, "digest", {
      cron: "0 9 * * MON",
      target: hook("/ok/digest"),
      payload: { kind: "weekly" },
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as Record<string, unknown>;
    expect(schedule).toMatchObject({
      name: "digest",
      cron: "0 9 * * MON",
      at: null,
      payload: { kind: "weekly" },
      last_run_at: null,
      last_status: null,
      attempts: 0,
      runs: 0,
    });
    const next = new Date(schedule.next_run_at as string);
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 9, 0]);

    const replaced = await put(id, "digest", {
      cron: `*/${CREATION_SCHEDULE_MIN_INTERVAL_SECONDS / 60} * * * *`,
      target: hook("/ok/digest"),
    });
    expect(replaced.status).toBe(200);
    const listed = await schedules(id);
    expect(listed.map((s) => [s.name, s.cron])).toEqual([["digest", "*/1 * * * *"]]);

    const removed = await api(`/v1/creations/${id}/schedules/digest`, {
      method: "DELETE",
      headers: await bearer(),
    });
    expect(removed.status).toBe(204);
    expect(await schedules(id)).toEqual([]);
    const again = await api(`/v1/creations/${id}/schedules/digest`, {
      method: "DELETE",
      headers: await bearer(),
    });
    expect((await problemOf(again)).code).toBe("SCHEDULE_NOT_FOUND");
    const jobs = await actorByName(env.CREATION, id).listSchedules();
    expect(jobs.filter((job) => job.key.startsWith("schedule:"))).toEqual([]);
  });

  it("lets the creation's own token manage its schedules, but not another creation's", async () => {
    const [mine, theirs] = await Promise.all([createCreation("alice"), createCreation("bob")]);
    const own = await put(
      mine.id,
      "tick",
      { cron: "0 * * * *", target: hook("/ok/x") },
      asCreation(mine.token),
    );
    expect(own.status).toBe(201);
    expect(await schedules(mine.id, asCreation(mine.token))).toHaveLength(1);
    const other = await put(
      mine.id,
      "tick",
      { cron: "0 * * * *", target: hook("/ok/x") },
      asCreation(theirs.token),
    );
    expect((await problemOf(other)).code).toBe("CREATION_SCOPE_MISMATCH");
    const stranger = await put(
      mine.id,
      "tick",
      { cron: "0 * * * *", target: hook("/ok/x") },
      await bearer({ sub: "mallory" }),
    );
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
  });
});

describe("webhook delivery", () => {
  it("POSTs one signed event to a real local receiver, and the listing shows the run", async () => {
    const { id, webhook_secret } = await createCreation();
    const key = crypto.randomUUID();
    const response = await put(id, "remind", {
      delay_seconds: 1,
      target: hook(`/ok/${key}`),
      payload: { to: "bob" },
    });
    expect(response.status).toBe(201);

    await vi.waitFor(async () => expect(await received(key)).toHaveLength(1), WAIT);
    const [delivery] = await received(key);
    const event = JSON.parse(delivery?.body ?? "{}") as Record<string, unknown>;
    expect(event).toEqual({
      type: "schedule.fired",
      id: expect.stringMatching(new RegExp(`^${id}:remind:\\d+$`)),
      creation_id: id,
      schedule: "remind",
      scheduled_for: expect.stringMatching(/Z$/),
      attempt: 1,
      payload: { to: "bob" },
    });
    expect(delivery?.headers["content-type"]).toBe("application/json");
    expect(delivery?.headers["troupe-event-id"]).toBe(event.id);
    const headers = {
      timestamp: delivery?.headers["troupe-timestamp"] ?? null,
      signature: delivery?.headers["troupe-signature"] ?? null,
    };
    expect(await verifyWebhook(webhook_secret, delivery?.body ?? "", headers)).toBe(true);
    expect(await verifyWebhook(webhook_secret, `${delivery?.body} `, headers)).toBe(false);
    expect(await verifyWebhook("whsec_other", delivery?.body ?? "", headers)).toBe(false);

    const [listed] = await schedules(id);
    expect(listed).toMatchObject({
      name: "remind",
      last_status: "ok",
      runs: 1,
      attempts: 0,
      next_run_at: null,
    });
    expect(Date.parse(listed?.last_run_at as string)).toBeGreaterThan(
      Date.parse(listed?.created_at as string),
    );
    // next_run_at null: the creation holds no job that could deliver again.
    expect(await received(key)).toHaveLength(1);
  });

  it("uses the creation's webhook_url when the target has none", async () => {
    const { id } = await createCreation();
    const key = crypto.randomUUID();
    await api(
      `/v1/creations/${id}`,
      jsonInit("PATCH", { webhook_url: `${receiver}/ok/${key}` }, await bearer()),
    );
    expect((await put(id, "ping", { delay_seconds: 1, target: { type: "webhook" } })).status).toBe(
      201,
    );
    await vi.waitFor(async () => expect(await received(key)).toHaveLength(1), WAIT);
  });

  it("retries a failing receiver with backoff, then lists the occurrence as a failure", async () => {
    const { id } = await createCreation();
    const key = crypto.randomUUID();
    await put(id, "flaky", { delay_seconds: 1, target: hook(`/fail/${key}`) });
    await vi.waitFor(async () => expect(await received(key)).toHaveLength(1), WAIT);
    await vi.waitFor(
      async () => expect((await schedules(id))[0]?.last_status).toBe("retrying"),
      WAIT,
    );
    const [retrying] = await schedules(id);
    expect(retrying).toMatchObject({
      attempts: 1,
      last_error: "Error: the receiver answered HTTP 500",
    });
    const retryAt = Date.parse(retrying?.next_run_at as string);
    expect(retryAt - Date.parse(retrying?.last_run_at as string)).toBe(
      CREATION_WEBHOOK_RETRY_BASE_MS,
    );

    // Each remaining retry: move the clock past it and run the alarm as it would fire.
    const stub = env.CREATION.getByName(id);
    for (let attempt = 2; attempt <= SCHEDULER_MAX_ATTEMPTS; attempt++) {
      setTestClock(clock.now() + SCHEDULER_RETRY_MAX_DELAY_MS);
      await runDurableObjectAlarm(stub);
    }
    const deliveries = await received(key);
    expect(deliveries).toHaveLength(SCHEDULER_MAX_ATTEMPTS);
    expect(new Set(deliveries.map((d) => d.headers["troupe-event-id"])).size).toBe(1);
    expect(deliveries.map((d) => (JSON.parse(d.body) as { attempt: number }).attempt)).toEqual(
      Array.from({ length: SCHEDULER_MAX_ATTEMPTS }, (_, i) => i + 1),
    );

    const failures = await api(`/v1/creations/${id}/schedules/failures`, {
      headers: await bearer(),
    });
    expect(await failures.json()).toEqual([
      {
        name: "flaky",
        scheduled_for: retrying?.at,
        failed_at: expect.stringMatching(/Z$/),
        attempts: SCHEDULER_MAX_ATTEMPTS,
        last_error: "Error: the receiver answered HTTP 500",
      },
    ]);
    expect((await schedules(id))[0]).toMatchObject({
      last_status: "failed",
      attempts: SCHEDULER_MAX_ATTEMPTS,
      next_run_at: null,
    });
  });
});
