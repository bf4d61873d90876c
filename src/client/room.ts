// The room client for browsers and Node: a reconnecting WebSocket (partysocket) that fetches a
// fresh single-use ticket for every connection, a local mirror of the room's state that
// applies patches in version order, and promises for patches (resolved by their ack).

import ReconnectingWebSocket from "partysocket/ws";
import type { JsonObject, JsonValue } from "../shared/json.ts";
import { applyOps, emptyRoomState } from "../shared/room-state.ts";
import type {
  ChatMessage,
  PatchedFrame,
  PatchOp,
  PresenceEntry,
  RoomErrorCode,
  RoomIdentity,
  ServerFrame,
  WelcomeFrame,
} from "../shared/schemas/room.ts";

export type { ChatMessage, PatchOp, PresenceEntry, RoomIdentity, ServerFrame };

export interface ConnectRoomOptions {
  /** Where troupe runs, e.g. "https://api.example.com" (or location.origin). */
  baseUrl: string;
  creationId: string;
  room: string;
  /** Returns a fresh ticket (POST /v1/rooms/:creation_id/:room/tickets); called per connect. */
  getTicket: () => Promise<string>;
  /** A WebSocket class for runtimes without a global one. */
  WebSocket?: unknown;
}

type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;
type Handler<T extends ServerFrame["type"]> = (frame: FrameOf<T>) => void;

/** Why a patch (or another request) was refused: the room's error code. */
export class RoomError extends Error {
  readonly code: RoomErrorCode | "DISCONNECTED";

  constructor(code: RoomErrorCode | "DISCONNECTED", message: string) {
    super(message);
    this.name = "RoomError";
    this.code = code;
  }
}

export class RoomClient {
  /** The room's state as of `version`, updated as patches arrive. */
  state: JsonObject = emptyRoomState();
  version = 0;
  user: RoomIdentity | null = null;
  readonly presence = new Map<string, PresenceEntry>();
  history: ChatMessage[] = [];

  private readonly socket: ReconnectingWebSocket;
  private readonly handlers = new Map<string, Set<(frame: ServerFrame) => void>>();
  private readonly pending = new Map<
    string,
    { resolve: (version: number) => void; reject: (error: RoomError) => void }
  >();
  private welcomed = false;

  private readonly options: ConnectRoomOptions;

  constructor(options: ConnectRoomOptions) {
    this.options = options;
    this.socket = new ReconnectingWebSocket(() => this.url(), [], {
      WebSocket: options.WebSocket,
      maxReconnectionDelay: 5_000,
    });
    this.socket.addEventListener("message", (event) => this.receive(String(event.data)));
    this.socket.addEventListener("close", () => this.failPending());
  }

  /** Subscribes to one kind of frame; returns the unsubscribe function. */
  on<T extends ServerFrame["type"]>(type: T, handler: Handler<T>): () => void {
    const set = this.handlers.get(type) ?? new Set();
    set.add(handler as (frame: ServerFrame) => void);
    this.handlers.set(type, set);
    return () => set.delete(handler as (frame: ServerFrame) => void);
  }

  chat(text: string): void {
    this.send({ type: "chat.send", text });
  }

  /** Sends a patch; resolves with its version when acknowledged, rejects with its error. */
  patch(ops: PatchOp[]): Promise<number> {
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: "state.patch", id, ops });
    });
  }

  setPresence(data: Record<string, JsonValue>): void {
    this.send({ type: "presence.set", data });
  }

  cursor(x: number, y: number): void {
    this.send({ type: "cursor", x, y });
  }

  startTimer(name: string, seconds: number): void {
    this.send({ type: "timer.start", name, seconds });
  }

  cancelTimer(name: string): void {
    this.send({ type: "timer.cancel", name });
  }

  /** Drops the connection and opens a new one (a fresh ticket, and `since` to catch up). */
  reconnect(): void {
    this.socket.reconnect();
  }

  close(): void {
    this.socket.close();
  }

  private async url(): Promise<string> {
    const base = new URL(this.options.baseUrl);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    const path = `/v1/rooms/${encodeURIComponent(this.options.creationId)}/${encodeURIComponent(this.options.room)}`;
    const url = new URL(path, base);
    url.searchParams.set("ticket", await this.options.getTicket());
    // After the first welcome, ask only for what was missed while away.
    if (this.welcomed) url.searchParams.set("since", String(this.version));
    return url.toString();
  }

  private send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  private receive(data: string): void {
    const frame = JSON.parse(data) as ServerFrame;
    switch (frame.type) {
      case "welcome":
        this.welcome(frame);
        break;
      case "state.patched":
        this.applyPatched(frame);
        break;
      case "ack":
        this.pending.get(frame.id)?.resolve(frame.version);
        this.pending.delete(frame.id);
        break;
      case "error":
        if (frame.id && this.pending.has(frame.id)) {
          this.pending.get(frame.id)?.reject(new RoomError(frame.code, frame.message));
          this.pending.delete(frame.id);
        }
        break;
      case "chat.message":
        this.history.push(frame);
        break;
      case "presence.joined":
      case "presence.updated":
        this.presence.set(frame.user.user_id, frame.user);
        break;
      case "presence.left":
        this.presence.delete(frame.user_id);
        break;
    }
    for (const handler of this.handlers.get(frame.type) ?? []) handler(frame);
  }

  private welcome(frame: WelcomeFrame): void {
    this.user = frame.user;
    if (frame.state !== null) {
      this.state = frame.state as JsonObject;
      this.version = frame.version;
    } else {
      for (const patch of frame.patches ?? []) this.applyPatched(patch);
    }
    this.presence.clear();
    for (const entry of frame.presence) this.presence.set(entry.user_id, entry);
    this.history = [...frame.history];
    this.welcomed = true;
  }

  /** Applies the next version; a gap means frames were lost, so reconnect and catch up. */
  private applyPatched(frame: PatchedFrame): void {
    if (frame.version <= this.version) return;
    if (frame.version !== this.version + 1) {
      this.socket.reconnect();
      return;
    }
    try {
      this.state = applyOps(this.state, frame.ops);
    } catch {
      // A patch this mirror cannot apply (e.g. a path it refuses): start over from the room's state.
      this.version = 0;
      this.welcomed = false;
      this.socket.reconnect();
      return;
    }
    this.version = frame.version;
  }

  private failPending(): void {
    for (const { reject } of this.pending.values()) {
      reject(new RoomError("DISCONNECTED", "The connection closed before the room answered."));
    }
    this.pending.clear();
  }
}

/** Opens a room: `const room = connectRoom({ baseUrl, creationId, room, getTicket })`. */
export function connectRoom(options: ConnectRoomOptions): RoomClient {
  return new RoomClient(options);
}

/** A getTicket for browsers: asks troupe for a ticket with the given bearer token (or none,
 * for creations that allow anonymous visitors). */
export function ticketFetcher(
  options: Pick<ConnectRoomOptions, "baseUrl" | "creationId" | "room"> & {
    token?: () => string | null;
  },
): () => Promise<string> {
  return async () => {
    const url = new URL(
      `/v1/rooms/${encodeURIComponent(options.creationId)}/${encodeURIComponent(options.room)}/tickets`,
      options.baseUrl,
    );
    const token = options.token?.();
    const response = await fetch(url, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!response.ok) throw new Error(`ticket: HTTP ${response.status}`);
    return ((await response.json()) as { ticket: string }).ticket;
  };
}
