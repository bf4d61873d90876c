// SessionDO: one per creation and user (`<creation id>:<user id>`). Owns the user's chats in
// that creation, their history (the server's, never the client's), preferences, and the
// generations that stream replies: one at a time per chat, every chunk stored as it streams,
// paid through a wallet hold placed before the provider is called and settled when it ends.

import * as v from "valibot";
import { ApiError } from "../../shared/errors.ts";
import { CHAT_MESSAGES_PAGE_MAX, SESSION_SOCKETS_MAX } from "../../shared/limits.ts";
import {
  type ChatRequest,
  ChatRequestSchema,
  MessageTextSchema,
  type PutPrefs,
  PutPrefsSchema,
  type UserMessage,
  UserMessageSchema,
} from "../../shared/schemas/chat.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { Actor, task } from "../actor.ts";
import { refusalOf, refusalsAsValues, unwrapRefusal } from "../refusal.ts";
import { Generations } from "./generations.ts";
import { textOf } from "./messages.ts";
import { SessionPrefs } from "./prefs.ts";
import { SESSION_MIGRATIONS } from "./schema.ts";
import { initFrame, readSendFrame, SessionTickets } from "./socket.ts";
import { EPHEMERAL_CHAT_PREFIX, SessionStore } from "./store.ts";
import { Listeners, TEXT_STREAM_HEADERS, toTextEvents, UI_STREAM_HEADERS } from "./stream.ts";
import { refusalResponse, SessionStreamCallSchema } from "./stream-call.ts";

const FINALIZE_TASK = "finalizeGeneration";
const SETTLE_TASK = "settleGeneration";

const GenerationPayload = v.object({ generation_id: v.string() });

export class SessionDO extends Actor {
  static override readonly migrations = SESSION_MIGRATIONS;

  private readonly store = new SessionStore(this.ctx.storage.sql);
  private readonly listeners = new Listeners();
  private readonly tickets = new SessionTickets(this.ctx.storage.sql);
  private readonly prefsOf = new SessionPrefs(this.ctx.storage.sql, this.env);
  private readonly generations = new Generations({
    env: this.env,
    store: this.store,
    prefs: this.prefsOf,
    listeners: this.listeners,
    identity: () => this.identity(),
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
    // Seed 000's sockets follow the session's own chat: every part, then the final message.
    onChunk: (chatId, chunk) => {
      if (chatId === SEED_CHAT_ID) this.broadcast(chunk);
    },
    onReply: (chatId, reply) => {
      if (chatId !== SEED_CHAT_ID) return;
      this.broadcast({ type: "message", role: "assistant", content: textOf(reply) });
    },
    finalizeTask: FINALIZE_TASK,
    settleTask: SETTLE_TASK,
  });

  protected override readonly tasks = {
    // The watchdog, and the wake-up after an eviction: ends a generation nobody is running.
    [FINALIZE_TASK]: task(GenerationPayload, ({ generation_id }) =>
      this.generations.finalize(generation_id, "interrupted"),
    ),
    // A wallet that could not be reached when the generation ended is settled on retry.
    [SETTLE_TASK]: task(GenerationPayload, ({ generation_id }) =>
      this.generations.settleStored(generation_id),
    ),
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A fresh instance runs no generation: any still marked in progress was cut off by an
    // eviction or restart, and is finalized now rather than left hanging.
    void ctx.blockConcurrencyWhile(async () => this.generations.adoptOrphans());
  }

  /**
   * The two answers that stream (a new reply, a resumed one) come over fetch, not RPC: a
   * response body keeps this actor's request open for as long as it streams, where a stream
   * returned from an RPC method is cut off when the method returns. The router alone calls
   * this (src/router/routes/chat.ts); a refusal comes back as a problem the router rethrows.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket")
      return this.openSocket(request);
    try {
      const call = v.parse(SessionStreamCallSchema, await request.json());
      const caller = call.caller as Principal;
      if (call.op === "stream") {
        const stream = await this.streamOnce(call.name, caller, call.message);
        return new Response(toTextEvents(stream), { headers: TEXT_STREAM_HEADERS });
      }
      const stream =
        call.op === "chat"
          ? await this.chat(call.name, caller, call.input as ChatRequest)
          : await this.resume(call.name, caller, call.chat_id, call.after);
      return stream
        ? new Response(stream, { headers: UI_STREAM_HEADERS })
        : new Response(null, { status: 204 });
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      return refusalResponse(refusal);
    }
  }

  /** Starts a reply to the request's newest user message; answers its UI message stream. */
  private async chat(
    name: string,
    caller: Principal,
    input: ChatRequest,
  ): Promise<ReadableStream<Uint8Array>> {
    this.admit(name, caller);
    const request = v.parse(ChatRequestSchema, input);
    const regenerate = request.trigger === "regenerate-message";
    const message = regenerate ? null : newestUserMessage(request);
    return this.generations.start(request.id, message, caller);
  }

  /** Seed 000's stateless stream: one reply to one message, metered like any other, in a chat
   *  that is forgotten when the reply ends (no history). */
  private async streamOnce(
    name: string,
    caller: Principal,
    text: string,
  ): Promise<ReadableStream<Uint8Array>> {
    this.admit(name, caller);
    const message: UserMessage = {
      id: `msg_${crypto.randomUUID()}`,
      role: "user",
      parts: [{ type: "text", text: v.parse(MessageTextSchema, text) }],
    };
    return this.generations.start(
      `${EPHEMERAL_CHAT_PREFIX}${crypto.randomUUID()}`,
      message,
      caller,
    );
  }

  /** The chat's generation in progress from its start (or after `after`), then live; null
   *  when none is (204). */
  private async resume(
    name: string,
    caller: Principal,
    chatId: string,
    after: number | null,
  ): Promise<ReadableStream<Uint8Array> | null> {
    this.admit(name, caller);
    const active = this.store.activeGeneration(chatId);
    if (!active || active.status === "holding") return null;
    if (!this.generations.isRunning(active.id)) {
      await this.generations.finalize(active.id, "interrupted");
      return null;
    }
    return this.listeners.open(active.id, this.store.events(active.id, after ?? 0));
  }

  /** Stops the chat's generation: the partial reply is kept and what was generated charged. */
  async stop(name: string, caller: Principal, chatId: string): Promise<{ stopped: boolean }> {
    this.admit(name, caller);
    this.requireChat(chatId);
    const active = this.store.activeGeneration(chatId);
    if (!active) return { stopped: false };
    await this.generations.stop(active.id);
    return { stopped: true };
  }

  listChats(name: string, caller: Principal) {
    this.admit(name, caller);
    return {
      chats: this.store.chats().map((chat) => ({
        id: chat.id,
        title: chat.title,
        created_at: new Date(chat.created_at).toISOString(),
        updated_at: new Date(chat.updated_at).toISOString(),
      })),
    };
  }

  getChat(
    name: string,
    caller: Principal,
    chatId: string,
    query: { limit?: number; before?: string | undefined },
  ) {
    this.admit(name, caller);
    this.requireChat(chatId);
    const page = this.store.page(chatId, query.limit ?? CHAT_MESSAGES_PAGE_MAX, query.before);
    const live = query.before === undefined ? this.generations.partialReply(chatId) : null;
    return {
      id: chatId,
      messages: live ? [...page.messages, live] : page.messages,
      next_before: page.nextBefore,
    };
  }

  async deleteChat(name: string, caller: Principal, chatId: string): Promise<void> {
    this.admit(name, caller);
    this.requireChat(chatId);
    const active = this.store.activeGeneration(chatId);
    if (active) await this.generations.stop(active.id);
    this.store.deleteChat(chatId);
  }

  prefs(name: string, caller: Principal) {
    this.admit(name, caller);
    return this.prefsOf.view();
  }

  putPrefs(name: string, caller: Principal, input: PutPrefs) {
    this.admit(name, caller);
    return this.prefsOf.put(v.parse(PutPrefsSchema, input));
  }

  /** Seed 000's session/send: the whole reply at once, in the session's default chat. */
  async send(name: string, caller: Principal, text: string): Promise<{ reply: string }> {
    this.admit(name, caller);
    const message: UserMessage = {
      id: `msg_${crypto.randomUUID()}`,
      role: "user",
      parts: [{ type: "text", text }],
    };
    return { reply: await this.generations.complete(SEED_CHAT_ID, message, caller) };
  }

  /** Seed 000's session/clear: forgets every chat's history (a running reply is stopped). */
  async clear(name: string, caller: Principal): Promise<{ ok: true }> {
    this.admit(name, caller);
    for (const active of this.store.inProgress()) await this.generations.stop(active.id);
    this.store.clearAll();
    this.broadcast({ type: "cleared" });
    return { ok: true };
  }

  // ── seed 000's WebSocket (socket.ts) ───────────────────────────────────────────────────

  /** A single-use ticket for the session's WebSocket (a browser cannot send Authorization). */
  issueTicket(name: string, caller: Principal): { ticket: string; expires_at: string } {
    this.admit(name, caller);
    return this.tickets.issue(this.identity().userId);
  }

  /** Uses up a ticket: true once, for a ticket this session issued that has not expired. */
  redeemTicket(ticket: string): boolean {
    return this.tickets.redeem(ticket);
  }

  /** The router checked the ticket or credentials and names the session and user. */
  private openSocket(request: Request): Response {
    const name = request.headers.get(SESSION_NAME_HEADER) ?? "";
    const userId = name.slice(name.indexOf(":") + 1);
    this.admit(name, { type: "user", id: userId, email: null, admin: false });
    if (this.ctx.getWebSockets().length >= SESSION_SOCKETS_MAX) {
      return refusalResponse(
        new ApiError("SESSION_BUSY", `A session keeps ${SESSION_SOCKETS_MAX} sockets open.`, {
          limit: SESSION_SOCKETS_MAX,
        }),
      );
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ name, userId });
    server.send(JSON.stringify(initFrame(this.store.history(SEED_CHAT_ID))));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    try {
      const text = readSendFrame(data);
      const { name, userId } = ws.deserializeAttachment() as { name: string; userId: string };
      const caller: Principal = { type: "user", id: userId, email: null, admin: false };
      // send() answers a refusal as a value (refusalsAsValues): unwrap it to report it here.
      unwrapRefusal(await this.send(name, caller, text));
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      ws.send(JSON.stringify({ type: "error", code: refusal.code, message: refusal.detail }));
    }
  }

  private broadcast(frame: object): void {
    const text = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing as we send: it reconnects and gets init.
      }
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** The session belongs to one user of one creation; only they (or their agents) use it. */
  private admit(name: string, caller: Principal): void {
    const [creationId, ...rest] = name.split(":");
    const userId = rest.join(":");
    if (!creationId || !userId) throw new Error(`"${name}" is not a session name.`);
    if (caller.type !== "user" || caller.id !== userId) {
      throw new ApiError("FORBIDDEN", "A session is its user's alone.");
    }
    const stored = this.identityRow();
    if (!stored) {
      this.sql.exec(
        "INSERT INTO session (only, creation_id, user_id) VALUES (1, ?, ?)",
        creationId,
        userId,
      );
    } else if (stored.creation_id !== creationId || stored.user_id !== userId) {
      throw new Error(`This session is "${stored.creation_id}:${stored.user_id}", not "${name}".`);
    }
  }

  private identityRow() {
    return (
      this.sql
        .exec<{ creation_id: string; user_id: string }>("SELECT creation_id, user_id FROM session")
        .toArray()[0] ?? null
    );
  }

  private identity(): { creationId: string; userId: string } {
    const row = this.identityRow();
    if (!row) throw new Error("The session's identity is stored on its first call.");
    return { creationId: row.creation_id, userId: row.user_id };
  }

  private requireChat(chatId: string): void {
    if (!this.store.chat(chatId)) throw new ApiError("CHAT_NOT_FOUND", "No such chat.");
  }
}

/** Seed 000's session API has one conversation; it lives in this chat. */
export const SEED_CHAT_ID = "session";

/** The message to answer: `message`, or the last of `messages`, which must be the user's. */
function newestUserMessage(request: ChatRequest): UserMessage {
  const candidate = request.message ?? request.messages?.at(-1);
  if (candidate === undefined) {
    throw new ApiError("INVALID_REQUEST", "Send the new user message as message or messages.");
  }
  const parsed = v.safeParse(UserMessageSchema, candidate);
  if (!parsed.success) {
    const field = v.getDotPath(parsed.issues[0]) ?? "message";
    throw new ApiError(
      "INVALID_REQUEST",
      `The newest message must be the user's text: ${field}: ${parsed.issues[0].message}`,
    );
  }
  const { id, parts } = parsed.output;
  return {
    id,
    role: "user",
    parts: (parts as { text: string }[]).map((part) => ({ type: "text", text: part.text })),
  };
}

/** The header the router names the session with when it forwards a WebSocket upgrade. */
export const SESSION_NAME_HEADER = "x-troupe-session";

refusalsAsValues<SessionDO, Actor>(SessionDO, {
  issueTicket: true,
  redeemTicket: true,
  stop: true,
  listChats: true,
  getChat: true,
  deleteChat: true,
  prefs: true,
  putPrefs: true,
  send: true,
  clear: true,
});
