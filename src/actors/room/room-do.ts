// RoomDO: one per `<creation id>:<room>`, a partyserver Server with hibernation. The router
// decides who a connection is and passes it in a header it alone can set; every frame is
// parsed with the shared protocol, and a bad one gets an error frame, never a crash or a
// silent drop. Shared state is versioned (one version per accepted patch, applied whole or not
// at all) and persisted with a patch log, chat history and presence data in SQLite; timers run
// on the actor scheduler, so they fire after hibernation or eviction. A patch id the room has
// accepted from a user is remembered, so a patch resent after a reconnect is applied once.

import { type ConnectionContext, Server, type WSMessage } from "partyserver";
import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import type { JsonValue } from "../../shared/json.ts";
import { isJsonObject, parseJsonOrUndefined } from "../../shared/json.ts";
import {
  ROOM_CONNECTIONS_MAX,
  ROOM_CURSOR_FRAME_MAX_BYTES,
  ROOM_CURSOR_FRAMES_PER_SECOND_MAX,
  ROOM_FRAME_MAX_BYTES,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_PRESENCE_MAX_BYTES,
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
import { RoomSinceSchema } from "../../shared/schemas/room-api.ts";
import { task } from "../actor.ts";
import { refusalsAsValues } from "../refusal.ts";
import { ActorRuntime } from "../runtime.ts";
import type { Scheduler } from "../scheduler.ts";
import { errorFrame, logFrameFault } from "./error-frames.ts";
import { ConnectionGuards } from "./guards.ts";
import { patchIdOf, problemResponse, StateTooLarge } from "./helpers.ts";
import { type ConnectionState, type RoomConnection, RoomPresence } from "./presence.ts";
import { KnownSockets, sendToAll } from "./sockets.ts";
import { type ClientPatchId, RoomStore } from "./store.ts";
import { RoomTimers, TIMER_TASK, type TimerOutcome } from "./timers.ts";

/** The header the router sets with the connection's identity (clients' copies are stripped). */
export const ROOM_IDENTITY_HEADER = "x-troupe-room-identity";

const encoder = new TextEncoder();

export class RoomDO extends Server {
  static override options = { hibernate: true };

  private readonly store: RoomStore;
  private readonly scheduler: Scheduler;
  private readonly timers: RoomTimers;
  private readonly presence: RoomPresence;
  private readonly guards = new ConnectionGuards();
  private readonly known = new KnownSockets();

  // Cloudflare.Env: partyserver's type; tests add fixture bindings to it, not to the global Env.
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage);
    this.presence = new RoomPresence(this.store, () => this.getConnections<ConnectionState>());
    const tasks = {
      [TIMER_TASK]: task(v.object({ name: v.string() }), ({ name }) => {
        this.broadcastFrame({ type: "timer.fired", name });
      }),
    };
    this.scheduler = new ActorRuntime(ctx, env, {
      migrations: RoomStore.migrations,
      task: (name) => tasks[name as keyof typeof tasks],
    }).scheduler;
    this.timers = new RoomTimers(this.scheduler, () => this.store.state());
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
    this.known.add(connection);
    const identity = v.safeParse(
      RoomIdentitySchema,
      parseJsonOrUndefined(request.headers.get(ROOM_IDENTITY_HEADER) ?? ""),
    );
    if (!identity.success) {
      connection.close(1008, "unauthenticated");
      return;
    }
    connection.setState({ identity: identity.output });
    const user = identity.output;
    const isFirstTab = this.presence.tabsOf(user.user_id) === 1;
    if (isFirstTab) this.store.upsertPresence(user, {});
    const since = new URL(request.url).searchParams.get("since");
    const catchUp = v.is(RoomSinceSchema, since) ? this.store.patchesSince(Number(since)) : null;
    this.send(connection, {
      type: "welcome",
      connection_id: connection.id,
      user,
      version: this.store.version(),
      state: catchUp ? null : this.store.state(),
      patches: catchUp,
      presence: this.presence.list(),
      history: this.store.history(),
    });
    const entry = this.presence.of(user.user_id);
    if (isFirstTab && entry)
      this.broadcastFrame({ type: "presence.joined", user: entry }, connection);
  }

  override onClose(connection: RoomConnection): void {
    this.forget(connection);
  }

  // No onError: a failed socket is then closed, and onClose forgets it once.

  /** A frame from a socket this instance knows goes straight to onMessage (sockets.ts); the
   *  first one after a wake-up goes through partyserver, which wraps the socket first. */
  override async webSocketMessage(ws: WebSocket, message: WSMessage): Promise<void> {
    if (this.known.has(ws)) return this.onMessage(ws as RoomConnection, message);
    return super.webSocketMessage(ws, message);
  }

  /** Every frame gets one answer: its effect (ack, broadcast) or one error frame. */
  override onMessage(connection: RoomConnection, message: WSMessage) {
    this.known.add(connection);
    const identity = connection.state?.identity;
    if (!identity) return; // closed during connect
    // Frames already queued when the room closed the socket (see violation()) go unanswered.
    if (connection.readyState !== WebSocket.OPEN) return;
    try {
      this.handleFrame(connection, identity, message);
    } catch (error) {
      // A fault of ours, not the client's: say so once and keep the room (and the isolate) up.
      const requestId = logFrameFault(this.ctx.id.toString(), error);
      const failed = "The room failed to handle this frame.";
      this.send(connection, errorFrame("INTERNAL", failed, undefined, requestId));
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
    const json = typeof message === "string" ? parseJsonOrUndefined(message) : undefined;
    const now = clock.now();
    // Any refusal names the patch it refuses, so the sender can settle it (a patch refused for
    // its rate would otherwise wait for an answer that never comes).
    const id = patchIdOf(json);
    // Cursors have their own budget: a whiteboard sends one per pointer move, and those must
    // never use up the frames a stroke's patch needs. Only a cursor-sized frame is on it, so
    // frames parsed at cursor rates stay small; every other frame is parsed at most at the
    // frame rate (plus ROOM_VIOLATIONS_MAX refused ones before the socket is closed).
    const cursor =
      size <= ROOM_CURSOR_FRAME_MAX_BYTES &&
      isJsonObject(json) &&
      ownValue(json, "type") === "cursor";
    if (cursor && !this.guards.cursorWithinFlood(connection.id, now)) {
      const limit = `At most ${ROOM_CURSOR_FRAMES_PER_SECOND_MAX} cursor frames a second.`;
      return this.violation(connection, "RATE_LIMITED", limit);
    }
    if (!cursor && !this.guards.withinRate(connection.id, now)) {
      const limit = `At most ${ROOM_MESSAGES_PER_SECOND} frames a second.`;
      return this.violation(connection, "RATE_LIMITED", limit, id);
    }
    const parsed = v.safeParse(ClientFrameSchema, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const problem = `${v.getDotPath(issue) ?? "frame"}: ${issue.message}`;
      return this.violation(connection, "INVALID_FRAME", problem, id);
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
        // Faster than the throttle: dropped without an answer (the next one carries on).
        if (!this.guards.cursorRelay(connection.id, now)) return;
        return this.broadcastFrame(
          { type: "cursor", user_id: identity.user_id, x: frame.x, y: frame.y },
          connection,
        );
      case "timer.start":
        return this.timerOutcome(
          connection,
          this.timers.start(identity, frame.name, frame.seconds),
        );
      case "timer.cancel":
        return this.timerOutcome(connection, this.timers.cancel(identity, frame.name));
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
    return {
      version: this.store.version(),
      state: this.store.state(),
      presence: this.presence.list(),
    };
  }

  /** Pushes a server message to every connection (REST, creation schedules). */
  serverMessage(data: JsonValue): { delivered: number } {
    const at = new Date(clock.now()).toISOString();
    return { delivered: this.broadcastFrame({ type: "server.message", data, at }) };
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
    const clientPatch = { userId: identity.user_id, id };
    const earlier = this.store.acceptedPatch(clientPatch, ops);
    if (earlier && !earlier.sameOps) {
      const reused = `Patch id "${id}" was used for another patch; give each patch a new id.`;
      return this.fail(connection, "PATCH_ID_REUSED", reused, id);
    }
    // A resend after a reconnect (the ack was lost with the old connection): the first answer
    // again, and nothing applied twice.
    if (earlier) return this.send(connection, { type: "ack", id, version: earlier.version });
    let version: number;
    try {
      version = this.commit(ops, identity.user_id, identity, clientPatch);
    } catch (error) {
      if (error instanceof PatchError) return this.fail(connection, error.code, error.message, id);
      if (error instanceof StateTooLarge)
        return this.fail(connection, "STATE_TOO_LARGE", error.message, id);
      throw error;
    }
    this.send(connection, { type: "ack", id, version });
  }

  /** Checks every op's path, applies all or none, persists, and broadcasts the new version. */
  private commit(
    ops: PatchOp[],
    by: string,
    writer: RoomIdentity,
    clientPatch?: ClientPatchId,
  ): number {
    for (const op of ops) checkWritable(op.path, writer);
    const tooLarge = (size: number): never => {
      throw new StateTooLarge(size);
    };
    const version = this.store.applyPatch(ops, by, tooLarge, clientPatch);
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
    const entry = this.presence.of(identity.user_id);
    if (entry) this.broadcastFrame({ type: "presence.updated", user: entry });
  }

  private timerOutcome(connection: RoomConnection, outcome: TimerOutcome) {
    if (outcome.refused)
      return this.fail(connection, outcome.refused.code, outcome.refused.message);
    this.broadcastFrame(outcome.frame);
  }

  // ── presence and plumbing ──────────────────────────────────────────────────────────────

  private forget(connection: RoomConnection): void {
    this.guards.forget(connection.id);
    const userId = connection.state?.identity.user_id;
    if (!userId) return;
    if (this.presence.tabsOf(userId, connection.id) > 0) {
      const entry = this.presence.of(userId, connection.id);
      if (entry) this.broadcastFrame({ type: "presence.updated", user: entry }, connection);
      return;
    }
    this.store.removePresence(userId);
    this.broadcastFrame({ type: "presence.left", user_id: userId }, connection);
  }

  /**
   * A frame the client should not have sent: answered with an error frame, and counted; after
   * ROOM_VIOLATIONS_MAX of them within ROOM_VIOLATION_WINDOW_MS the connection is closed with
   * 1008 (policy violation) instead of being answered frame by frame.
   */
  private violation(connection: RoomConnection, code: RoomErrorCode, message: string, id?: string) {
    const limitReached = this.guards.violation(connection.id, clock.now());
    this.fail(connection, code, message, id);
    if (limitReached) {
      connection.close(1008, `more than ${ROOM_VIOLATIONS_MAX} refused frames`);
    }
  }

  /** One error frame (error-frames.ts); `id` echoes the patch it refuses. */
  private fail(connection: RoomConnection, code: RoomErrorCode, message: string, id?: string) {
    this.send(connection, errorFrame(code, message, id));
  }

  private send(connection: RoomConnection, frame: ServerFrame): void {
    connection.send(JSON.stringify(frame));
  }

  /** Serializes once and sends to every connection but `except`; returns how many it reached. */
  private broadcastFrame(frame: ServerFrame, except?: RoomConnection): number {
    return sendToAll(this.ctx, JSON.stringify(frame), except);
  }
}

refusalsAsValues<RoomDO, Server>(RoomDO, {
  issueTicket: true,
  redeemTicket: true,
  snapshot: true,
  serverMessage: true,
  privilegedPatch: true,
});
