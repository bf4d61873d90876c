// The client SDK on Node's WebSocket against wrangler dev: tickets, acks, the local mirror, the
// one `state` event, and refused credentials over the real network.
import { describe, expect, inject, it } from "vitest";
import { connectRoom, ticketFetcher } from "../../src/client/index.ts";
import { createCreation, devSignIn, devToken } from "./dev-identity.ts";

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

  it("fires one state event per change and stops on a refused token until new credentials", async () => {
    const creation = await createCreation(baseUrl, await devToken("sdk-owner-3"));
    const options = { baseUrl, creationId: creation.id, room: "sdk" };
    const client = connectRoom({
      ...options,
      getTicket: ticketFetcher({ ...options, token: () => "not-a-jwt" }),
    });
    const errors: { code: string; needsCredentials: boolean }[] = [];
    client.on("error", ({ code, needsCredentials }) => errors.push({ code, needsCredentials }));
    const states: string[] = [];
    client.on("state", ({ reason, version }) => states.push(`${reason}@${version}`));
    await expect.poll(() => client.status, { timeout: 10_000 }).toBe("unauthenticated");
    expect(errors).toEqual([{ code: "INVALID_TOKEN", needsCredentials: true }]);
    const token = await devSignIn(baseUrl, "sdk-e");
    client.setCredentials(ticketFetcher({ ...options, token: () => token }));
    expect(await client.patch([{ op: "set", path: "/shared/x", value: 1 }])).toBe(1);
    expect(states).toEqual(["welcome@0", "patch@1"]);
    expect(client.user?.user_id).toBe("sdk-e");
    client.close();
  });
});
