import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { retryDelayMs } from "../src/actors/scheduler.ts";
import { clock } from "../src/shared/clock.ts";
import { nextCronRun, shortestCronIntervalSeconds } from "../src/shared/cron.ts";
import { ApiError } from "../src/shared/errors.ts";
import { SCHEDULER_MAX_ATTEMPTS, SCHEDULER_RETRY_MAX_DELAY_MS } from "../src/shared/limits.ts";

const probe = (name: string) => env.SCHEDULER_PROBE.getByName(name);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const WAIT = { timeout: 5_000, interval: 20 };

describe("scheduler", () => {
  it("runs 100 jobs on one actor in due order, with the alarm at the earliest", async () => {
    const actor = probe("hundred");
    // An hour ahead, so no real alarm can fire while the jobs are being added one RPC at a time;
    // the due jobs are then run as the alarm would run them, at a chosen time.
    const start = clock.now() + 3_600_000;
    // Due times 3 ms apart, scheduled in a scrambled order.
    const order = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    for (const i of order) {
      await actor.add({
        key: `job-${i}`,
        task: "record",
        payload: { note: String(i) },
        at: start + i * 3,
      });
    }
    expect(await actor.alarmAt()).toBe(start);
    expect((await actor.listSchedules()).map((job) => job.key)).toEqual(
      Array.from({ length: 100 }, (_, i) => `job-${i}`),
    );

    expect(await actor.runDueAt(start + 49 * 3)).toBe(50);
    expect(await actor.alarmAt()).toBe(start + 50 * 3);
    expect(await actor.runDueAt(start + 99 * 3)).toBe(50);

    const records = await actor.records();
    expect(records.map((r) => r.note)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(records.every((r) => r.attempt === 1)).toBe(true);
    expect(await actor.listSchedules()).toEqual([]);
    expect(await actor.alarmAt()).toBeNull();
  });

  it("replaces a job scheduled again under the same key instead of adding one", async () => {
    const actor = probe("replace");
    const inOneHour = clock.now() + 3_600_000;
    await actor.add({ key: "k", task: "record", payload: { note: "first" }, at: inOneHour });
    await actor.add({
      key: "k",
      task: "record",
      payload: { note: "second" },
      at: inOneHour + 60_000,
    });
    const jobs = await actor.listSchedules();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      key: "k",
      payload: { note: "second" },
      due_at: inOneHour + 60_000,
    });
    expect(await actor.alarmAt()).toBe(inOneHour + 60_000);

    await actor.add({ key: "k", task: "record", payload: { note: "third" }, delayMs: 0 });
    await vi.waitFor(async () => expect(await actor.records()).toHaveLength(1), WAIT);
    expect((await actor.records())[0]).toMatchObject({ job: "k", note: "third" });
    expect(await actor.listSchedules()).toEqual([]);
  });

  it("ensures a job once, keeps the first one, and schedules it again after a cancel", async () => {
    const actor = probe("ensured");
    const inOneHour = clock.now() + 3_600_000;
    const job = { key: "daily", task: "record", payload: { note: "first" }, at: inOneHour };
    await actor.ensure(job);
    await actor.ensure({ ...job, payload: { note: "second" }, at: inOneHour + 1 });
    expect((await actor.listSchedules()).map((j) => [j.key, j.payload, j.due_at])).toEqual([
      ["daily", { note: "first" }, inOneHour],
    ]);
    expect(await actor.remove("daily")).toBe(true);
    await actor.ensure({ ...job, payload: { note: "again" } });
    expect((await actor.listSchedules()).map((j) => j.payload)).toEqual([{ note: "again" }]);
  });

  it("cancels a job and clears the alarm when nothing is left", async () => {
    const actor = probe("cancel");
    await actor.add({ key: "c", task: "record", payload: { note: "x" }, delayMs: 60_000 });
    expect(await actor.remove("c")).toBe(true);
    expect(await actor.remove("c")).toBe(false);
    expect(await actor.listSchedules()).toEqual([]);
    expect(await actor.alarmAt()).toBeNull();
  });

  it("retries a job that fails twice and applies its effect exactly once", async () => {
    const actor = probe("flaky");
    await actor.add({
      key: "f",
      task: "flaky",
      payload: { note: "done", failures: 2 },
      delayMs: 0,
    });
    await vi.waitFor(async () => expect(await actor.records()).toHaveLength(1), WAIT);
    expect(await actor.records()).toEqual([{ job: "f", note: "done", attempt: 3 }]);
    expect(await actor.attempts("f")).toBe(3);
    expect(await actor.listSchedules()).toEqual([]);
    expect(await actor.listDeadLetters()).toEqual([]);
  });

  it("dead-letters a job that always fails after exactly SCHEDULER_MAX_ATTEMPTS runs", async () => {
    const actor = probe("broken");
    await actor.add({ key: "b", task: "broken", payload: null, delayMs: 0 });
    await vi.waitFor(async () => expect(await actor.listDeadLetters()).toHaveLength(1), WAIT);
    // No job and no alarm are left, so no further retry can ever run: the count is final.
    expect(await actor.listSchedules()).toEqual([]);
    expect(await actor.alarmAt()).toBeNull();
    expect(await actor.attempts("b")).toBe(SCHEDULER_MAX_ATTEMPTS);
    const [letter] = await actor.listDeadLetters();
    expect(letter).toMatchObject({
      key: "b",
      task: "broken",
      payload: null,
      cron: null,
      attempts: SCHEDULER_MAX_ATTEMPTS,
      last_error: `Error: broken on attempt ${SCHEDULER_MAX_ATTEMPTS}`,
    });
    expect(await actor.listSchedules()).toEqual([]);
    expect(await actor.alarmAt()).toBeNull();
  });

  it("refuses unknown tasks and payloads that fail the task's schema", async () => {
    const actor = probe("invalid");
    await expect(actor.add({ key: "u", task: "nope", delayMs: 0 })).rejects.toThrow(
      'No task named "nope" is registered.',
    );
    // A payload failing the task's schema is refused as bad input at the actor's boundary.
    const refused: unknown = await actorByName(env.SCHEDULER_PROBE, "invalid")
      .add({ key: "p", task: "record", payload: { note: 5 }, delayMs: 0 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      code: "INVALID_REQUEST",
      extensions: {
        errors: [{ field: "note", message: "Invalid type: Expected string but received 5" }],
      },
    });
    expect(await actor.listSchedules()).toEqual([]);
  });

  it("runs a job that came due while the actor was evicted", async () => {
    const actor = probe("evicted");
    await actor.add({
      key: "e",
      task: "record",
      payload: { note: "after eviction" },
      delayMs: 200,
    });
    await evictDurableObject(actor);
    await vi.waitFor(async () => expect(await probe("evicted").records()).toHaveLength(1), WAIT);
    expect(await probe("evicted").records()).toEqual([
      { job: "e", note: "after eviction", attempt: 1 },
    ]);
  });

  it("reschedules a cron job from its expression, not by adding an interval to a late run", async () => {
    const actor = probe("cron");
    await actor.add({
      key: "tick",
      task: "record",
      payload: { note: "tick" },
      cron: "*/10 * * * *",
    });
    const [job] = await actor.listSchedules();
    const due = job?.due_at as number;
    expect(new Date(due).getUTCMinutes() % 10).toBe(0);
    expect(new Date(due).getUTCSeconds()).toBe(0);

    // The alarm runs 3 minutes late: the next run is still on the 10-minute grid.
    await actor.runDueAt(due + 3 * 60_000);
    const [next] = await actor.listSchedules();
    expect(next?.due_at).toBe(due + 10 * 60_000);
    expect(next).toMatchObject({ attempts: 0, last_status: "ok" });
    expect(await actor.records()).toHaveLength(1);
  });

  it("moves to the next occurrence after a cron occurrence dies, and dead-letters that one", async () => {
    const actor = probe("cron-broken");
    await actor.add({ key: "nightly", task: "broken", payload: null, cron: "0 3 * * *" });
    let due = (await actor.listSchedules())[0]?.due_at as number;
    for (let attempt = 1; attempt <= SCHEDULER_MAX_ATTEMPTS; attempt++) {
      await actor.runDueAt(due);
      due = (await actor.listSchedules())[0]?.due_at as number;
    }
    const [job] = await actor.listSchedules();
    expect(job).toMatchObject({ key: "nightly", attempts: 0, last_status: "error" });
    expect(iso(job?.due_at ?? null)).toMatch(/T03:00:00.000Z$/);
    expect(await actor.listDeadLetters()).toMatchObject([
      { key: "nightly", cron: "0 3 * * *", attempts: SCHEDULER_MAX_ATTEMPTS },
    ]);
  });
});

describe("cron expressions (UTC)", () => {
  const nextAfter = (expression: string, from: string) =>
    iso(nextCronRun(expression, Date.parse(from)));

  it("crosses a month end", () => {
    expect(nextAfter("30 23 31 * *", "2026-11-25T00:00:00Z")).toBe("2026-12-31T23:30:00.000Z");
    expect(nextAfter("0 0 1 * *", "2026-11-30T23:59:59Z")).toBe("2026-12-01T00:00:00.000Z");
    expect(nextAfter("0 12 L * *", "2027-02-10T00:00:00Z")).toBe("2027-02-28T12:00:00.000Z");
    expect(nextAfter("0 12 L * *", "2028-02-10T00:00:00Z")).toBe("2028-02-29T12:00:00.000Z");
  });

  it("crosses a year end", () => {
    expect(nextAfter("0 0 1 * *", "2026-12-31T23:30:00Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(nextAfter("59 23 31 12 *", "2026-12-31T23:59:30Z")).toBe("2027-12-31T23:59:00.000Z");
    expect(nextAfter("0 9 * * MON", "2026-12-30T10:00:00Z")).toBe("2027-01-04T09:00:00.000Z");
  });

  it("is strictly after the given instant", () => {
    expect(nextAfter("0 * * * *", "2026-11-25T10:00:00Z")).toBe("2026-11-25T11:00:00.000Z");
  });

  it("measures the shortest interval, seconds field included", () => {
    const from = Date.parse("2026-11-25T00:00:00Z");
    expect(shortestCronIntervalSeconds("*/5 * * * *", from)).toBe(300);
    expect(shortestCronIntervalSeconds("*/10 * * * * *", from)).toBe(10);
    expect(shortestCronIntervalSeconds("0 9,10 * * *", from)).toBe(3600);
  });
});

describe("retry backoff", () => {
  it("doubles from the base and stops at the ceiling", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(40, 1000)).toBe(SCHEDULER_RETRY_MAX_DELAY_MS);
  });
});
