import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";

const WAIT = { timeout: 5_000, interval: 20 };

describe("outbox", () => {
  it("delivers to a receiver that fails its first two deliveries exactly once", async () => {
    const sender = env.OUTBOX_SENDER.getByName("s1");
    const receiver = env.OUTBOX_RECEIVER.getByName("r1");
    const id = await sender.send("r1", "accept", "credit 5");

    await vi.waitFor(async () => expect((await sender.state()).pending).toBe(0), WAIT);
    expect(await receiver.calls("accept")).toBe(3);
    expect(await receiver.records()).toEqual([{ job: id, note: "credit 5" }]);
    expect(await sender.state()).toEqual({ sent: [{ note: "credit 5" }], pending: 0, jobs: 0 });
    expect(await sender.listDeadLetters()).toEqual([]);
  });

  it("applies the effect once when the receiver's answer is lost and the message is resent", async () => {
    const sender = env.OUTBOX_SENDER.getByName("s2");
    const receiver = env.OUTBOX_RECEIVER.getByName("r2");
    const id = await sender.send("r2", "acceptLosingAck", "grant badge");

    await vi.waitFor(async () => expect((await sender.state()).pending).toBe(0), WAIT);
    expect(await receiver.calls("acceptLosingAck")).toBe(2);
    expect(await receiver.records()).toEqual([{ job: id, note: "grant badge" }]);
  });

  it("keeps message and local change together: a failed change sends nothing", async () => {
    const sender = env.OUTBOX_SENDER.getByName("s3");
    await expect(sender.sendThenFail("r3")).rejects.toThrow("local change failed");
    // No message and no delivery job were kept, so nothing can reach the receiver later.
    expect(await sender.state()).toEqual({ sent: [], pending: 0, jobs: 0 });
    expect(await env.OUTBOX_RECEIVER.getByName("r3").records()).toEqual([]);
  });

  it("delivers many messages to one receiver, each once", async () => {
    const sender = env.OUTBOX_SENDER.getByName("s4");
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sender.send("r4", "acceptLosingAck", `m${i}`)),
    );
    await vi.waitFor(async () => expect((await sender.state()).pending).toBe(0), WAIT);
    const records = await env.OUTBOX_RECEIVER.getByName("r4").records();
    expect(records).toHaveLength(20);
    expect(new Set(records.map((r) => r.job))).toEqual(new Set(ids));
  });
});
