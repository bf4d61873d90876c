// The client SDK inside workerd, against real rooms: a WebSocket class for the SDK that opens
// through the test Worker's fetch (Upgrade: websocket), so every frame crosses the real router
// and RoomDO. A TestNetwork records what the SDK sends and can hold connections back, drop
// frames on their way in, or connect without the router's identity.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { RoomErrorEvent } from "../src/client/events.ts";
import { type ConnectRoomOptions, connectRoom, type RoomClient } from "../src/client/room.ts";
import type { Timers } from "../src/client/throttle.ts";
import { ticketFetcher } from "../src/client/tickets.ts";
import { clock } from "../src/shared/clock.ts";
import { api, ORIGIN, userToken } from "./helpers.ts";

/** Frames the SDK sent, parsed, in order. */
type Sent = { type: string; [key: string]: unknown };

export class TestNetwork {
  readonly sent: Sent[] = [];
  /** Upgrades attempted (one per connect). */
  connects = 0;
  /** Frames from the room for which this says true are lost on the way in. */
  dropIncoming: ((frame: Sent) => boolean) | null = null;
  /** Connect straight to the room, without the identity the router adds (the room refuses). */
  bypassRouter = false;
  private gate: { open: Promise<void>; release: () => void } | null = null;
  private readonly sockets = new Set<WorkerSocket>();

  /** New connections wait until release(). */
  hold(): void {
    let release = () => {};
    const open = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.gate = { open, release };
  }

  release(): void {
    this.gate?.release();
    this.gate = null;
  }

  /** Whatever connects next waits here while held. */
  async passage(): Promise<void> {
    this.connects++;
    await this.gate?.open;
  }

  /** The WebSocket class to give the SDK. */
  get WebSocket(): unknown {
    const network = this;
    return class extends WorkerSocket {
      constructor(url: string) {
        super(url, network);
        network.sockets.add(this);
      }
    };
  }

  /** Delivers `text` to the SDK as if the room had sent it, on every open connection. */
  inject(text: string): void {
    for (const socket of this.sockets) {
      if (socket.readyState === WorkerSocket.OPEN)
        socket.dispatchEvent(new MessageEvent("message", { data: text }));
    }
  }

  sentOf(type: string): Sent[] {
    return this.sent.filter((frame) => frame.type === type);
  }
}

export class WorkerSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = WorkerSocket.CONNECTING;
  readonly OPEN = WorkerSocket.OPEN;
  readonly CLOSING = WorkerSocket.CLOSING;
  readonly CLOSED = WorkerSocket.CLOSED;
  readyState = WorkerSocket.CONNECTING;
  binaryType = "blob";
  readonly protocol = "";
  readonly extensions = "";
  readonly bufferedAmount = 0;
  readonly url: string;
  private readonly network: TestNetwork;
  private ws: WebSocket | null = null;

  constructor(url: string, network: TestNetwork) {
    super();
    this.url = url;
    this.network = network;
    void this.open();
  }

  send(data: string): void {
    if (this.readyState !== WorkerSocket.OPEN || !this.ws)
      throw new Error("send on a socket that is not open");
    this.network.sent.push(JSON.parse(data));
    this.ws.send(data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= WorkerSocket.CLOSING) return;
    this.readyState = WorkerSocket.CLOSING;
    this.ws?.close(code, reason);
    this.finish(code, reason);
  }

  private async open(): Promise<void> {
    await this.network.passage();
    if (this.readyState !== WorkerSocket.CONNECTING) return; // closed while waiting
    const url = new URL(this.url);
    const response = this.network.bypassRouter
      ? await env.ROOM.getByName(roomName(url)).fetch(
          new Request(`${ORIGIN}${url.pathname}`, { headers: { upgrade: "websocket" } }),
        )
      : await api(`${url.pathname}${url.search}`, { headers: { upgrade: "websocket" } });
    const ws = response.webSocket;
    if (response.status !== 101 || !ws) {
      this.dispatchEvent(new Event("error"));
      this.finish(1006, "");
      return;
    }
    ws.accept();
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as Sent;
      if (this.network.dropIncoming?.(frame)) return;
      this.dispatchEvent(new MessageEvent("message", { data: event.data }));
    });
    ws.addEventListener("close", (event) => this.finish(event.code, event.reason));
    if (this.readyState !== WorkerSocket.CONNECTING) {
      ws.close(1000, "closed while opening");
      return;
    }
    this.readyState = WorkerSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === WorkerSocket.CLOSED) return;
    this.readyState = WorkerSocket.CLOSED;
    this.dispatchEvent(new CloseEvent("close", { code, reason }));
  }
}

/** `/v1/rooms/<creation>/<room>` → the room actor's name. */
function roomName(url: URL): string {
  const [, , , creationId, room] = url.pathname.split("/");
  return `${creationId}:${room}`;
}

/** Timers the test runs by hand: the throttle's trailing send happens when the test says so. */
export class ManualTimers implements Timers {
  private readonly due: (() => void)[] = [];

  now(): number {
    return clock.now();
  }

  after(_delayMs: number, run: () => void): void {
    this.due.push(run);
  }

  get pending(): number {
    return this.due.length;
  }

  runAll(): void {
    for (const run of this.due.splice(0)) run();
  }
}

/** A getTicket through the test Worker for `user` (a JWT minted per ticket), or anonymous. */
export function ticketsFor(
  creationId: string,
  room: string,
  token: () => Promise<string | null>,
): () => Promise<string> {
  return ticketFetcher({
    baseUrl: ORIGIN,
    creationId,
    room,
    token,
    fetch: (request) =>
      api(new URL(request.url).pathname, { method: request.method, headers: request.headers }),
  });
}

export interface TestClient {
  client: RoomClient;
  network: TestNetwork;
  timers: ManualTimers;
  errors: RoomErrorEvent[];
  statuses: string[];
}

/** A RoomClient for `user` over a fresh TestNetwork, and what it reports. */
export function openClient(
  creationId: string,
  room: string,
  user: string,
  options: Partial<ConnectRoomOptions> = {},
): TestClient {
  const network = new TestNetwork();
  const timers = new ManualTimers();
  const client = connectRoom({
    baseUrl: ORIGIN,
    creationId,
    room,
    getTicket: ticketsFor(creationId, room, () => userToken({ sub: user })),
    WebSocket: network.WebSocket,
    timers,
    ...options,
  });
  const errors: RoomErrorEvent[] = [];
  const statuses: string[] = [];
  client.on("error", (error) => errors.push(error));
  client.on("status", ({ status }) => statuses.push(status));
  return { client, network, timers, errors, statuses };
}

/** Waits until the client reports `status`. */
export async function statusOf(client: RoomClient, status: string): Promise<void> {
  await expect.poll(() => client.status, { timeout: 10_000, interval: 10 }).toBe(status);
}
