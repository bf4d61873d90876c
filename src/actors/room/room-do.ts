// RoomDO: one per `<creation id>:<room>`, a partyserver Server with hibernation. The router
// decides who a connection is and passes it in a header it alone can set; every frame is
// parsed with the shared protocol, and a bad one gets an error frame, never a crash or a
// silent drop. Shared state is versioned (one version per accepted patch, applied whole or not
// at all) and persisted with a patch log, chat history and presence data in SQLite; timers run
// on the actor scheduler, so they fire after hibernation or eviction.

import { type Connection, type ConnectionContext, Server, type WSMessage } from "partyserver";
import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError, ERROR_CATALOGUE, problemType } from "../../shared/errors.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import {
  ROOM_CONNECTIONS_MAX,
  ROOM_CURSOR_MIN_INTERVAL_MS,
  ROOM_FRAME_MAX_BYTES,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_PRESENCE_MAX_BYTES,
  ROOM_TIMERS_MAX,
  ROOM_VIOLATION_WINDOW_MS,
  ROOM_VIOLATIONS_MAX,
} from "../../shared/limits.ts";
import { ownValue } from "../../shared/object-keys.ts";
import { checkWritable, PatchError } from "../../shared/room-state.ts";
import {
  ClientFrameSchema,
  type PatchOp,
  PatchOpsSchema,
  type PresenceEntry,
  type RoomErrorCode,
  type RoomIdentity,
  RoomIdentitySchema,
  type ServerFrame,
} from "../../shared/schemas/room.ts";
import { task } from "../actor.ts";
import { refusalsAsValues } from "../refusal.ts";
import { ActorRuntime } from "../runtime.ts";
import type { Scheduler } from "../scheduler.ts";
import { RoomStore } from "./store.ts";

/** The header the router sets with the connection's identity (clients' copies are stripped). */
export const ROOM_IDENTITY_HEADER = "x-troupe-room-identity";
const TIMER_TASK = "timer";
const timerKey = (name: string) => `timer:${name}`;

type ConnectionState = { identity: RoomIdentity };
type RoomConnection = Connection<ConnectionState>;

const encoder = new TextEncoder();

export class RoomDO extends Server {
  static override options = { hibernate: true };

  private readonly store: RoomStore;
  private readonly scheduler: Scheduler;
  /** Per-connection frame times and last cursor (in memory: reset by hibernation, harmlessly). */
  private readonly recentFrames = new Map<string, number[]>();
  private readonly lastCursor = new Map<string, number>();
  /** Per-connection times of refused frames (see violation()). */
  private readonly violations = new Map<string, number[]>();

  // Cloudflare.Env: partyserver's type; tests add fixture bindings to it, not to the global Env.
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage);
    const tasks = {
      [TIMER_TASK]: task(v.object({ name: v.string() }), ({ name }) => {
        this.broadcastFrame({ type: "timer.fired", name });
      }),
    };
    this.scheduler = new ActorRuntime(ctx, env, {
      migrations: RoomStore.migrations,
      task: (name) => tasks[name as keyof typeof tasks],
    }).scheduler;
  }

  override async onAlarm(): Promise<void> {
    await this.scheduler.runDue();
  }

  /** Refuses an upgrade past ROOM_CONNECTIONS_MAX before any socket opens. */
  override async fetch(request: Request): Promise<Response> {
    const upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
    if (upgrade && this.ctx.getWebSockets().length >= ROOM_CONNECTIONS_MAX) {
      return problemResponse(
        new ApiError("ROOM_FULL", `A room holds ${ROOM_CONNECTIONS_MAX} connections.`),
      );
    }
    return super.fetch(request);
  }

  // ── connections ────────────────────────────────────────────────────────────────────────

  override onConnect(connection: RoomConnection, { request }: ConnectionContext): void {
    const identity = v.safeParse(
      RoomIdentitySchema,
      safeJson(request.headers.get(ROOM_IDENTITY_HEADER) ?? ""),
    );
    if (!identity.success) {
      connection.close(1008, "unauthenticated");
      return;
    }
    connection.setState({ identity: identity.output });
    const user = identity.output;
    const isFirstTab = this.tabsOf(user.user_id) === 1;
    if (isFirstTab) this.store.upsertPresence(user, {});
    const since = new URL(request.url).searchParams.get("since");
    const catchUp =
      since !== null && /^\d{1,15}$/.test(since) ? this.store.patchesSince(Number(since)) : null;
    this.send(connection, {
      type: "welcome",
      connection_id: connection.id,
      user,
      version: this.store.version(),
      state: catchUp ? null : this.store.state(),
      patches: catchUp,
      presence: this.presence(),
      history: this.store.history(),
    });
    const entry = this.presenceOf(user.user_id);
    if (isFirstTab && entry)
      this.broadcastFrame({ type: "presence.joined", user: entry }, [connection.id]);
  }

  override onClose(connection: RoomConnection): void {
    this.forget(connection);
  }

  // No onError: a failed socket is then closed, and onClose forgets it once.

  /** Every frame gets one answer: its effect (ack, broadcast) or one error frame. */
  override onMessage(connection: RoomConnection, message: WSMessage) {
    const identity = connection.state?.identity;
    if (!identity) return; // closed during connect
    // Frames already queued when the room closed the socket (see violation()) go unanswered.
    if (connection.readyState !== WebSocket.OPEN) return;
    try {
      this.handleFrame(connection, identity, message);
    } catch (error) {
      // A fault of ours, not the client's: say so once and keep the room (and the isolate) up.
      console.error(
        JSON.stringify({
          level: "error",
          room: this.ctx.id.toString(),
          error: String(error),
          stack: (error as Error)?.stack,
        }),
      );
      this.send(connection, {
        type: "error",
        code: "INTERNAL",
        message: "The room failed to handle this frame.",
      });
    }
  }

  private handleFrame(connection: RoomConnection, identity: RoomIdentity, message: WSMessage) {
    const size = typeof message === "string" ? encoder.encode(message).length : message.byteLength;
    if (size > ROOM_FRAME_MAX_BYTES) {
      return this.violation(
        connection,
        "FRAME_TOO_LARGE",
        `Frames may be at most ${ROOM_FRAME_MAX_BYTES} bytes.`,
      );
    }
    if (!this.withinRate(connection.id)) {
      return this.violation(
        connection,
        "RATE_LIMITED",
        `At most ${ROOM_MESSAGES_PER_SECOND} frames a second.`,
      );
    }
    const json = typeof message === "string" ? safeJson(message) : undefined;
    const parsed = v.safeParse(ClientFrameSchema, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const id = isObject(json as JsonValue) ? ownValue(json as JsonObject, "id") : undefined;
      return this.violation(
        connection,
        "INVALID_FRAME",
        `${v.getDotPath(issue) ?? "frame"}: ${issue.message}`,
        typeof id === "string" ? id : undefined,
      );
    }
    const frame = parsed.output;
    switch (frame.type) {
      case "chat.send":
        return this.broadcastFrame(this.store.addChat(identity.user_id, frame.text));
      case "state.patch":
        return this.patchFromClient(connection, identity, frame.id, frame.ops);
      case "presence.set":
        return this.setPresence(connection, identity, frame.data);
      case "cursor":
        return this.relayCursor(connection, identity, frame.x, frame.y);
      case "timer.start":
        return this.startTimer(connection, identity, frame.name, frame.seconds);
      case "timer.cancel":
        return this.cancelTimer(connection, identity, frame.name);
    }
  }

  // ── RPC for the router ─────────────────────────────────────────────────────────────────

  /** A single-use ticket standing for `identity`, for browsers that cannot send headers. */
  issueTicket(identity: RoomIdentity): { ticket: string; expires_at: string } {
    return this.store.issueTicket(v.parse(RoomIdentitySchema, identity));
  }

  /** The identity behind a ticket, once; null when unknown, used or expired. */
  redeemTicket(ticket: string): RoomIdentity | null {
    return this.store.redeemTicket(ticket);
  }

  snapshot(): { version: number; state: JsonValue; presence: PresenceEntry[] } {
    return { version: this.store.version(), state: this.store.state(), presence: this.presence() };
  }

  /** Pushes a server message to every connection (REST, creation schedules). */
  serverMessage(data: JsonValue): { delivered: number } {
    this.broadcastFrame({ type: "server.message", data, at: new Date(clock.now()).toISOString() });
    return { delivered: this.ctx.getWebSockets().length };
  }

  /** A patch by the creation's owner or backend: may write any path. */
  privilegedPatch(ops: PatchOp[], by: string): { version: number } {
    const parsed = v.parse(PatchOpsSchema, ops);
    try {
      return {
        version: this.commit(parsed, by, {
          user_id: by,
          name: null,
          anonymous: false,
          privileged: true,
        }),
      };
    } catch (error) {
      if (error instanceof PatchError) throw new ApiError(error.code, error.message);
      if (error instanceof StateTooLarge) throw new ApiError("STATE_TOO_LARGE", error.message);
      throw error;
    }
  }

  // ── frames ─────────────────────────────────────────────────────────────────────────────

  private patchFromClient(
    connection: RoomConnection,
    identity: RoomIdentity,
    id: string,
    ops: PatchOp[],
  ) {
    let version: number;
    try {
      version = this.commit(ops, identity.user_id, identity);
    } catch (error) {
      if (error instanceof PatchError) return this.fail(connection, error.code, error.message, id);
      if (error instanceof StateTooLarge)
        return this.fail(connection, "STATE_TOO_LARGE", error.message, id);
      throw error;
    }
    this.send(connection, { type: "ack", id, version });
  }

  /** Checks every op's path, applies all or none, persists, and broadcasts the new version. */
  private commit(ops: PatchOp[], by: string, writer: RoomIdentity): number {
    for (const op of ops) checkWritable(op.path, writer);
    const version = this.store.applyPatch(ops, by, (size) => {
      throw new StateTooLarge(size);
    });
    this.broadcastFrame({ type: "state.patched", version, ops, by });
    return version;
  }

  private setPresence(
    connection: RoomConnection,
    identity: RoomIdentity,
    data: Record<string, JsonValue>,
  ) {
    const size = encoder.encode(JSON.stringify(data)).length;
    if (size > ROOM_PRESENCE_MAX_BYTES) {
      return this.fail(
        connection,
        "PRESENCE_TOO_LARGE",
        `Presence may be at most ${ROOM_PRESENCE_MAX_BYTES} bytes.`,
      );
    }
    this.store.upsertPresence(identity, data);
    const entry = this.presenceOf(identity.user_id);
    if (entry) this.broadcastFrame({ type: "presence.updated", user: entry });
  }

  /** Cursors are relayed to the others, never stored; frames faster than the throttle drop. */
  private relayCursor(connection: RoomConnection, identity: RoomIdentity, x: number, y: number) {
    const now = clock.now();
    if (now - (this.lastCursor.get(connection.id) ?? 0) < ROOM_CURSOR_MIN_INTERVAL_MS) return;
    this.lastCursor.set(connection.id, now);
    this.broadcastFrame({ type: "cursor", user_id: identity.user_id, x, y }, [connection.id]);
  }

  private startTimer(
    connection: RoomConnection,
    identity: RoomIdentity,
    name: string,
    seconds: number,
  ) {
    if (!this.mayRunTimers(identity)) {
      return this.fail(connection, "FORBIDDEN", "Only the creation may run timers in this room.");
    }
    const running = this.scheduler.list().filter((job) => job.task === TIMER_TASK);
    if (!running.some((job) => job.key === timerKey(name)) && running.length >= ROOM_TIMERS_MAX) {
      return this.fail(connection, "TIMER_LIMIT", `A room runs at most ${ROOM_TIMERS_MAX} timers.`);
    }
    const firesAt = this.scheduler.schedule({
      key: timerKey(name),
      task: TIMER_TASK,
      payload: { name },
      delayMs: seconds * 1000,
    });
    this.broadcastFrame({ type: "timer.started", name, fires_at: new Date(firesAt).toISOString() });
  }

  private cancelTimer(connection: RoomConnection, identity: RoomIdentity, name: string) {
    if (!this.mayRunTimers(identity)) {
      return this.fail(connection, "FORBIDDEN", "Only the creation may run timers in this room.");
    }
    if (!this.scheduler.cancel(timerKey(name))) {
      return this.fail(connection, "TIMER_NOT_FOUND", `No timer named "${name}" is running.`);
    }
    this.broadcastFrame({ type: "timer.cancelled", name });
  }

  /** The owner and backend always; participants when the owner set `/config/open_timers`. */
  private mayRunTimers(identity: RoomIdentity): boolean {
    const config = (this.store.state() as JsonObject).config;
    return identity.privileged || (isObject(config) && config.open_timers === true);
  }

  // ── presence and plumbing ──────────────────────────────────────────────────────────────

  private forget(connection: RoomConnection): void {
    this.recentFrames.delete(connection.id);
    this.lastCursor.delete(connection.id);
    this.violations.delete(connection.id);
    const userId = connection.state?.identity.user_id;
    if (!userId) return;
    if (this.tabsOf(userId, connection.id) > 0) {
      const entry = this.presenceOf(userId, connection.id);
      if (entry) this.broadcastFrame({ type: "presence.updated", user: entry }, [connection.id]);
      return;
    }
    this.store.removePresence(userId);
    this.broadcastFrame({ type: "presence.left", user_id: userId }, [connection.id]);
  }

  /** Open connections of a user, leaving out one that is closing. */
  private tabsOf(userId: string, without?: string): number {
    let tabs = 0;
    for (const connection of this.getConnections<ConnectionState>()) {
      if (connection.id !== without && connection.state?.identity.user_id === userId) tabs++;
    }
    return tabs;
  }

  private presence(): PresenceEntry[] {
    return this.store.presenceRows().flatMap((row) => {
      const entry = this.presenceOf(row.user_id);
      return entry ? [entry] : [];
    });
  }

  private presenceOf(userId: string, without?: string): PresenceEntry | null {
    const row = this.store.presenceRow(userId);
    const connections = this.tabsOf(userId, without);
    return row && connections > 0 ? { ...row, connections } : null;
  }

  private withinRate(connectionId: string): boolean {
    const now = clock.now();
    const recent = (this.recentFrames.get(connectionId) ?? []).filter((at) => now - at < 1000);
    if (recent.length >= ROOM_MESSAGES_PER_SECOND) {
      this.recentFrames.set(connectionId, recent);
      return false;
    }
    recent.push(now);
    this.recentFrames.set(connectionId, recent);
    return true;
  }

  /**
   * A frame the client should not have sent: answered with an error frame, and counted; after
   * ROOM_VIOLATIONS_MAX of them within ROOM_VIOLATION_WINDOW_MS the connection is closed with
   * 1008 (policy violation) instead of being answered frame by frame.
   */
  private violation(connection: RoomConnection, code: RoomErrorCode, message: string, id?: string) {
    const now = clock.now();
    const recent = (this.violations.get(connection.id) ?? []).filter(
      (at) => now - at < ROOM_VIOLATION_WINDOW_MS,
    );
    recent.push(now);
    this.violations.set(connection.id, recent);
    this.fail(connection, code, message, id);
    if (recent.length >= ROOM_VIOLATIONS_MAX) {
      connection.close(1008, `more than ${ROOM_VIOLATIONS_MAX} refused frames`);
    }
  }

  private fail(connection: RoomConnection, code: RoomErrorCode, message: string, id?: string) {
    this.send(connection, { type: "error", ...(id ? { id } : {}), code, message });
  }

  private send(connection: RoomConnection, frame: ServerFrame): void {
    connection.send(JSON.stringify(frame));
  }

  private broadcastFrame(frame: ServerFrame, without?: string[]): void {
    this.broadcast(JSON.stringify(frame), without);
  }
}

class StateTooLarge extends Error {
  constructor(size: number) {
    super(`The state would be ${size} bytes, over the room's limit.`);
  }
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A problem+json answer from inside the actor, before any socket opens. */
function problemResponse(error: ApiError): Response {
  return new Response(
    JSON.stringify({
      type: problemType(error.code),
      title: ERROR_CATALOGUE[error.code].title,
      status: error.status,
      detail: error.detail,
      code: error.code,
    }),
    { status: error.status, headers: { "content-type": "application/problem+json" } },
  );
}

refusalsAsValues<RoomDO, Server>(RoomDO, {
  issueTicket: true,
  redeemTicket: true,
  snapshot: true,
  serverMessage: true,
  privilegedPatch: true,
});
