// The client SDK on Node's WebSocket against wrangler dev: tickets, acks, the local mirror.
import { describe, expect, inject, it } from "vitest";
import { connectRoom, ticketFetcher } from "../../src/client/room.ts";
import { createCreation, devToken } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");

async function join(creationId: string, user: string) {
  const token = await devToken(user);
  const options = { baseUrl, creationId, room: "sdk" };
  const client = connectRoom({
    ...options,
    getTicket: ticketFetcher({ ...options, token: () => token }),
  });
  await expect.poll(() => client.user?.user_id, { timeout: 10_000 }).toBe(user);
  return client;
}

describe("client SDK", () => {
  it("resolves patches by their ack, rejects refused ones, and keeps every mirror identical", async () => {
    const creation = await createCreation(baseUrl, await devToken("sdk-owner"));
    const [a, b] = [await join(creation.id, "sdk-a"), await join(creation.id, "sdk-b")];
    const versions = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).patch([{ op: "increment", path: "/shared/n" }]),
      ),
    );
    expect([...versions].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expect(a.patch([{ op: "set", path: "/users/sdk-b/x", value: 1 }])).rejects.toMatchObject({
      name: "RoomError",
      code: "FORBIDDEN_PATH",
    });
    await expect.poll(() => [a.version, b.version], { timeout: 10_000 }).toEqual([10, 10]);
    expect(a.state).toEqual(b.state);
    expect(a.state.shared).toEqual({ n: 10 });
    a.close();
    b.close();
  });

  it("catches up after a reconnect with a fresh ticket and the patches it missed", async () => {
    const creation = await createCreation(baseUrl, await devToken("sdk-owner-2"));
    const [a, b] = [await join(creation.id, "sdk-c"), await join(creation.id, "sdk-d")];
    await a.patch([{ op: "set", path: "/shared/before", value: true }]);
    a.reconnect();
    await Promise.all(
      [1, 2, 3].map((n) => b.patch([{ op: "append", path: "/shared/log", value: n }])),
    );
    await expect.poll(() => a.version, { timeout: 10_000 }).toBe(4);
    expect(a.state).toEqual(b.state);
    a.close();
    b.close();
  });
});
