// The room client for browsers and Node: a reconnecting WebSocket (partysocket) that fetches a
// fresh single-use ticket for every connection, a local mirror of the room's state that
// applies patches in version order, and promises for patches (resolved by their ack). Every
// inbound frame is checked against the shared protocol; what the app needs to know arrives as
// events: `state` whenever the mirror changes, `status` for the connection, `error` for
// refusals and problems. Refused credentials stop the retries until the app gives new ones.

import ReconnectingWebSocket from "partysocket/ws";
import { clock } from "../shared/clock.ts";
import type { JsonObject, JsonValue } from "../shared/json.ts";
import {
  ROOM_CLIENT_HISTORY_MAX,
  ROOM_CLIENT_RECONNECT_MAX_DELAY_MS,
  ROOM_CLIENT_RECONNECT_MIN_DELAY_MS,
  ROOM_CURSOR_MIN_INTERVAL_MS,
} from "../shared/limits.ts";
import type {
  ChatMessage,
  ClientFrame,
  PatchedFrame,
  PatchOp,
  PresenceEntry,
  RoomIdentity,
  ServerFrame,
  WelcomeFrame,
} from "../shared/schemas/room.ts";
import { asRoomError, RoomError } from "./errors.ts";
import {
  Emitter,
  type RoomEventMap,
  type RoomEventType,
  type RoomStatus,
  type StateEvent,
} from "./events.ts";
import { StateMirror } from "./mirror.ts";
import { Outbox } from "./outbox.ts";
import { type Timers, TrailingThrottle } from "./throttle.ts";
import { decodeFrame, encodeFrame } from "./wire.ts";

export type { ChatMessage, PatchOp, PresenceEntry, RoomIdentity, ServerFrame };

export interface ConnectRoomOptions {
  /** Where troupe runs, e.g. "https://api.example.com" (or location.origin). */
  baseUrl: string;
  creationId: string;
  room: string;
  /** Returns a fresh ticket (POST /v1/rooms/:creation_id/:room/tickets); called per connect.
   * Throw a RoomError with status 401 or 403 (ticketFetcher does) when credentials are refused. */
  getTicket: () => Promise<string>;
  /** A WebSocket class for runtimes without a global one. */
  WebSocket?: unknown;
  /** Time and timers for the cursor throttle (tests run the trailing send on demand). */
  timers?: Timers;
}

/** The room closes a socket it cannot tell the identity of with 1008 "unauthenticated". */
const isUnauthenticatedClose = (event: { code: number; reason: string }) =>
  event.code === 1008 && event.reason === "unauthenticated";

export class RoomClient {
  user: RoomIdentity | null = null;
  status: RoomStatus = "connecting";
  readonly presence = new Map<string, PresenceEntry>();
  /** The last ROOM_CLIENT_HISTORY_MAX chat messages, oldest first (older ones are dropped). */
  history: ChatMessage[] = [];

  private readonly options: ConnectRoomOptions;
  private readonly mirror = new StateMirror();
  private readonly socket: ReconnectingWebSocket;
  private readonly events = new Emitter<RoomEventMap>();
  private readonly outbox = new Outbox();
  /** Encoded cursor frames: the latest one goes out when the throttle allows. */
  private readonly cursors: TrailingThrottle<string>;
  private getTicket: () => Promise<string>;
  /** Bumped by setCredentials, so a ticket request started with the old ones is not trusted. */
  private credentials = 0;
  /** Welcomed on the current socket: frames go out at once instead of being held. */
  private ready = false;
  /** The last presence frame as checked and encoded, resent after every reconnect (not the
   * app's object, which it may have changed since). */
  private presenceFrame: string | null = null;

  constructor(options: ConnectRoomOptions) {
    this.options = options;
    this.getTicket = options.getTicket;
    const timers = options.timers ?? {
      now: () => clock.now(),
      after: (delayMs, run) => setTimeout(run, delayMs),
    };
    this.cursors = new TrailingThrottle(
      ROOM_CURSOR_MIN_INTERVAL_MS,
      (text) => {
        // A position is stale by the time a connection is back: dropped, never held.
        if (this.canSend()) this.socket.send(text);
      },
      timers,
    );
    this.socket = new ReconnectingWebSocket(() => this.url(), [], {
      WebSocket: options.WebSocket,
      minReconnectionDelay: ROOM_CLIENT_RECONNECT_MIN_DELAY_MS,
      maxReconnectionDelay: ROOM_CLIENT_RECONNECT_MAX_DELAY_MS,
      // This client holds (and bounds) what waits for a connection; partysocket keeps nothing.
      maxEnqueuedMessages: 0,
      shouldReconnectOnClose: (event) => !isUnauthenticatedClose(event),
    });
    this.socket.addEventListener("message", (event) => this.receive(event.data));
    this.socket.addEventListener("close", (event) => this.closed(event));
  }

  /** The room's state as of `version`, updated as patches arrive (read-only: copy to change). */
  get state(): JsonObject {
    return this.mirror.state;
  }

  get version(): number {
    return this.mirror.version;
  }

  /** Subscribes to an event (a frame type, `state`, `status` or `error`); returns the
   * unsubscribe function. */
  on<T extends RoomEventType>(type: T, handler: (event: RoomEventMap[T]) => void): () => void {
    return this.events.on(type, handler);
  }

  /** Throws RoomError QUEUE_FULL or CLOSED when the message cannot be taken. */
  chat(text: string): void {
    this.sendOrHold({ type: "chat.send", text });
  }

  /**
   * Sends a patch; resolves with its version when acknowledged, rejects with a RoomError (the
   * room's refusal, QUEUE_FULL, CLOSED). A patch not yet answered when the connection drops is
   * resent after the reconnect under the same id, and the room applies it once.
   */
  patch(ops: PatchOp[]): Promise<number> {
    const id = crypto.randomUUID();
    let text: string;
    try {
      text = encodeFrame({ type: "state.patch", id, ops });
      this.refuseWhenClosedOrFull();
    } catch (error) {
      return Promise.reject(error);
    }
    const answered = this.outbox.holdPatch(id, text);
    if (this.canSend()) this.socket.send(text);
    return answered;
  }

  /** Publishes this user's presence data; it is sent again after every reconnect. */
  setPresence(data: Record<string, JsonValue>): void {
    this.presenceFrame = encodeFrame({ type: "presence.set", data });
    if (this.canSend()) this.socket.send(this.presenceFrame);
  }

  /** Moves this user's cursor: at most one frame per ROOM_CURSOR_MIN_INTERVAL_MS, the latest
   * position winning; dropped while disconnected. */
  cursor(x: number, y: number): void {
    this.cursors.push(encodeFrame({ type: "cursor", x, y }));
  }

  startTimer(name: string, seconds: number): void {
    this.sendOrHold({ type: "timer.start", name, seconds });
  }

  cancelTimer(name: string): void {
    this.sendOrHold({ type: "timer.cancel", name });
  }

  /** New credentials: the next ticket comes from `getTicket`, and the client connects again
   * now (also after it stopped because the old ones were refused). */
  setCredentials(getTicket: () => Promise<string>): void {
    this.getTicket = getTicket;
    this.credentials++;
    this.reconnect();
  }

  /** Drops the connection and opens a new one (a fresh ticket, and `since` to catch up). Also
   * resumes a client that stopped on refused credentials, e.g. once a token was renewed. */
  reconnect(): void {
    if (this.status === "closed") return; // close() is for good
    this.setStatus(this.mirror.current ? "reconnecting" : "connecting");
    this.socket.reconnect();
  }

  /** Closes for good: unanswered patches reject with CLOSED, held frames are dropped. */
  close(): void {
    this.setStatus("closed");
    this.ready = false;
    this.cursors.stop();
    this.outbox.clear(new RoomError("CLOSED", "The client was closed before the room answered."));
    this.socket.close();
  }

  // ── connecting ─────────────────────────────────────────────────────────────────────────

  private async url(): Promise<string> {
    const base = new URL(this.options.baseUrl);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    const path = `/v1/rooms/${encodeURIComponent(this.options.creationId)}/${encodeURIComponent(this.options.room)}`;
    const url = new URL(path, base);
    url.searchParams.set("ticket", await this.ticket());
    // After a welcome, ask only for what was missed while away.
    if (this.mirror.current) url.searchParams.set("since", String(this.mirror.version));
    return url.toString();
  }

  /** A ticket; refused credentials stop the client (partysocket would retry forever). */
  private async ticket(): Promise<string> {
    const credentials = this.credentials;
    try {
      return await this.getTicket();
    } catch (error) {
      // New credentials arrived while the old ones were tried: the refusal was for the old
      // ones, so try the new ones (each retry needs another setCredentials call).
      if (credentials !== this.credentials) return this.ticket();
      const problem = asRoomError(error);
      if (this.status === "closed") throw problem; // closed meanwhile: nothing to tell
      if (problem.needsCredentials) {
        this.socket.close();
        this.stopUnauthenticated(problem);
      } else {
        this.report(problem);
      }
      throw problem;
    }
  }

  private closed(event: { code: number; reason: string }): void {
    this.ready = false;
    if (this.status === "closed" || this.status === "unauthenticated") return;
    if (isUnauthenticatedClose(event)) {
      const refused = "The room refused the connection as unauthenticated.";
      this.stopUnauthenticated(new RoomError("UNAUTHENTICATED", refused, { status: 401 }));
      return;
    }
    this.setStatus(this.mirror.current ? "reconnecting" : "connecting");
  }

  private stopUnauthenticated(error: RoomError): void {
    this.setStatus("unauthenticated");
    this.report(error);
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────

  private receive(data: unknown): void {
    const frame = decodeFrame(data);
    if (frame instanceof RoomError) {
      this.report(frame);
      return;
    }
    switch (frame.type) {
      case "welcome":
        this.welcome(frame);
        return;
      case "error": {
        const error = new RoomError(frame.code, frame.message, frame.id ? { id: frame.id } : {});
        if (frame.id) this.outbox.settle(frame.id, { error });
        this.report(error);
        return;
      }
      case "ack":
        this.outbox.settle(frame.id, { version: frame.version });
        break;
      case "state.patched":
        this.livePatch(frame);
        break;
      case "chat.message":
        this.history.push(frame);
        if (this.history.length > ROOM_CLIENT_HISTORY_MAX) this.history.shift();
        break;
      case "presence.joined":
      case "presence.updated":
        this.presence.set(frame.user.user_id, frame.user);
        break;
      case "presence.left":
        this.presence.delete(frame.user_id);
        break;
    }
    this.emitFrame(frame);
  }

  private welcome(frame: WelcomeFrame): void {
    const first = this.user === null;
    const before = this.mirror.version;
    if (!this.mirror.welcome(frame)) {
      this.socket.reconnect(); // the catch-up fell short: start over from the full state
      return;
    }
    this.user = frame.user;
    this.presence.clear();
    for (const entry of frame.presence) this.presence.set(entry.user_id, entry);
    this.history = frame.history.slice(-ROOM_CLIENT_HISTORY_MAX);
    this.ready = true;
    // Before any handler runs (and may send): what waited goes out first, in order.
    this.outbox.drain((text) => this.socket.send(text));
    if (this.presenceFrame) this.socket.send(this.presenceFrame);
    this.setStatus("connected");
    this.emitFrame(frame);
    if (first || frame.state !== null || this.mirror.version !== before) {
      this.emitState(first ? "welcome" : "resync", null);
    }
  }

  /** Applies a live patch; a gap (frames lost) or a patch the mirror cannot apply reconnects,
   * to catch up with `since` or to start over from the full state. */
  private livePatch(frame: PatchedFrame): void {
    const outcome = this.mirror.live(frame);
    if (outcome === "applied") this.emitState("patch", frame);
    else if (outcome !== "old") this.socket.reconnect();
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────

  private canSend(): boolean {
    return this.ready && this.socket.readyState === this.socket.OPEN;
  }

  private sendOrHold(frame: ClientFrame): void {
    const text = encodeFrame(frame);
    if (this.canSend()) {
      this.socket.send(text);
      return;
    }
    this.refuseWhenClosedOrFull();
    this.outbox.holdFrame(text);
  }

  private refuseWhenClosedOrFull(): void {
    if (this.status === "closed") throw new RoomError("CLOSED", "The client was closed.");
    const full = this.outbox.refusal();
    if (full) throw full;
  }

  // ── telling the app ────────────────────────────────────────────────────────────────────

  private emitFrame(frame: Exclude<ServerFrame, { type: "error" }>): void {
    (this.events.emit as (type: string, event: unknown) => void)(frame.type, frame);
  }

  private emitState(reason: StateEvent["reason"], patch: PatchedFrame | null): void {
    const { state, version } = this.mirror;
    this.events.emit("state", { type: "state", state, version, reason, patch });
  }

  private report(error: RoomError): void {
    this.events.emit("error", {
      type: "error",
      code: error.code,
      message: error.message,
      ...(error.id !== undefined ? { id: error.id } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
      needsCredentials: error.needsCredentials,
    });
  }

  private setStatus(status: RoomStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.events.emit("status", { type: "status", status });
  }
}

/** Opens a room: `const room = connectRoom({ baseUrl, creationId, room, getTicket })`. */
export function connectRoom(options: ConnectRoomOptions): RoomClient {
  return new RoomClient(options);
}
