// AI sessions over HTTP, in the protocol a stock `useChat` speaks (the AI SDK's UI message
// stream v1 over SSE), plus seed 000's session API. A user's session in a creation is one
// SessionDO (`<creation id>:<user id>`); an agent acts in its user's session.

import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { SESSION_NAME_HEADER } from "../../actors/session/session-do.ts";
import { ticketUser } from "../../actors/session/socket.ts";
import { callSessionStream } from "../../actors/session/stream-call.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  ChatListSchema,
  ChatPageQuerySchema,
  ChatPageSchema,
  ChatParamsSchema,
  ChatRequestSchema,
  PrefsSchema,
  PutPrefsSchema,
  SendSchema,
  SessionParamsSchema,
  StreamQuerySchema,
} from "../../shared/schemas/chat.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { authenticate, hasCredentials } from "../auth/authenticate.ts";
import type { AppContext } from "../context.ts";
import { defineRoute } from "../route.ts";

const tag = "ai sessions";
/** Longest text read as a session ticket (`stk_`, the user id in base64url, 32 hex digits). */
const SESSION_TICKET_MAX_CHARS = 512;
const auth = ["user"] as const;

const sessionName = (creationId: string, principal: Principal) => `${creationId}:${principal.id}`;
const session = (env: Env, creationId: string, principal: Principal) =>
  actorByName(env.SESSION, sessionName(creationId, principal));

/** The session a WebSocket opens: the signed-in user's, or the one a valid ticket names. */
async function socketSession(c: AppContext, creationId: string, ticket: string | undefined) {
  if (hasCredentials(c)) {
    const principal = await authenticate(c);
    if (principal.type !== "user") {
      throw new ApiError("FORBIDDEN", "A session's WebSocket is its user's.");
    }
    return sessionName(creationId, principal);
  }
  const userId = ticket ? ticketUser(ticket) : null;
  if (!ticket || userId === null) {
    throw new ApiError("INVALID_TICKET", "Connect with ?ticket= from POST …/session/tickets.");
  }
  const name = `${creationId}:${userId}`;
  if (!(await actorByName(c.env.SESSION, name).redeemTicket(ticket))) {
    throw new ApiError("INVALID_TICKET", "The ticket is unknown, used or expired.");
  }
  return name;
}

/** `Last-Event-ID` (what EventSource and the AI SDK send on reconnect) or `?after=`. */
function resumeAfter(header: string | undefined, query: string | undefined): number | null {
  const text = query ?? header?.trim();
  return text && /^\d{1,9}$/.test(text) ? Number(text) : null;
}

export const chatRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/chat",
      operationId: "chat",
      summary: "Send a message; the reply streams as the AI SDK's UI message stream (useChat)",
      description:
        "Body as useChat sends it (`id`, `messages`, `trigger`, `messageId`) or `{ id, message }`. Only the newest user message is read: the history is the server's. 402 when the payer cannot cover the worst case, 409 GENERATION_IN_PROGRESS while the chat is replying. The stream: `start` (the server's messageId), steps and text parts, a transient `data-wallet`, `finish` with `messageMetadata` { usage, charged }, then `[DONE]`.",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      body: ChatRequestSchema,
      responses: {
        200: {
          description: "text/event-stream (x-vercel-ai-ui-message-stream: v1)",
          mediaType: "text/event-stream",
        },
        402: { description: "INSUFFICIENT_CREATION_FUNDS: the hold for the worst case failed" },
        409: { description: "GENERATION_IN_PROGRESS" },
      },
    },
    async (c, { principal, params, body }) =>
      callSessionStream(session(c.env, params.creation_id, principal), {
        op: "chat",
        name: sessionName(params.creation_id, principal),
        caller: principal,
        input: body,
      }),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:creation_id/chat/:chat_id/stream",
      operationId: "resumeChatStream",
      summary: "Reconnect to the chat's reply in progress: from its start, or after Last-Event-ID",
      description: "204 when no reply is being generated.",
      tag,
      auth,
      creationParam: "creation_id",
      params: ChatParamsSchema,
      query: StreamQuerySchema,
      responses: {
        200: { description: "text/event-stream", mediaType: "text/event-stream" },
        204: { description: "Nothing is being generated" },
      },
    },
    async (c, { principal, params, query }) => {
      return callSessionStream(session(c.env, params.creation_id, principal), {
        op: "resume",
        name: sessionName(params.creation_id, principal),
        caller: principal,
        chat_id: params.chat_id,
        after: resumeAfter(c.req.header("last-event-id"), query.after),
      });
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/chat/:chat_id/stop",
      operationId: "stopChat",
      summary: "Stop the reply: the partial message is kept and what was generated is charged",
      tag,
      auth,
      creationParam: "creation_id",
      params: ChatParamsSchema,
      responses: {
        200: {
          description: "Whether a reply was running",
          schema: v.object({ stopped: v.boolean() }),
        },
      },
    },
    async (c, { principal, params }) =>
      c.json(
        await session(c.env, params.creation_id, principal).stop(
          sessionName(params.creation_id, principal),
          principal,
          params.chat_id,
        ),
      ),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:creation_id/chats",
      operationId: "listChats",
      summary: "The caller's chats in this creation, newest first",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      responses: { 200: { description: "Chats", schema: ChatListSchema } },
    },
    async (c, { principal, params }) =>
      c.json(
        await session(c.env, params.creation_id, principal).listChats(
          sessionName(params.creation_id, principal),
          principal,
        ),
      ),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:creation_id/chat/:chat_id",
      operationId: "getChat",
      summary: "A chat's newest messages as AI SDK UIMessages; `before` pages back",
      tag,
      auth,
      creationParam: "creation_id",
      params: ChatParamsSchema,
      query: ChatPageQuerySchema,
      responses: { 200: { description: "One page", schema: ChatPageSchema } },
    },
    async (c, { principal, params, query }) =>
      c.json(
        await session(c.env, params.creation_id, principal).getChat(
          sessionName(params.creation_id, principal),
          principal,
          params.chat_id,
          query,
        ),
      ),
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/creations/:creation_id/chat/:chat_id",
      operationId: "deleteChat",
      summary: "Delete a chat and its history (a reply in progress is stopped first)",
      tag,
      auth,
      creationParam: "creation_id",
      params: ChatParamsSchema,
      responses: { 204: { description: "Deleted" } },
    },
    async (c, { principal, params }) => {
      await session(c.env, params.creation_id, principal).deleteChat(
        sessionName(params.creation_id, principal),
        principal,
        params.chat_id,
      );
      return c.body(null, 204);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:creation_id/session/prefs",
      operationId: "getSessionPrefs",
      summary: "The caller's model and temperature in this creation, and the models allowed",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      responses: { 200: { description: "Preferences", schema: PrefsSchema } },
    },
    async (c, { principal, params }) =>
      c.json(
        await session(c.env, params.creation_id, principal).prefs(
          sessionName(params.creation_id, principal),
          principal,
        ),
      ),
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:creation_id/session/prefs",
      operationId: "putSessionPrefs",
      summary: "Choose a model from the allowed list and a temperature (0–2, null for default)",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      body: PutPrefsSchema,
      responses: { 200: { description: "Preferences", schema: PrefsSchema } },
    },
    async (c, { principal, params, body }) =>
      c.json(
        await session(c.env, params.creation_id, principal).putPrefs(
          sessionName(params.creation_id, principal),
          principal,
          body,
        ),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/session/send",
      operationId: "sessionSend",
      summary: "Seed 000: send a message and wait for the whole reply",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      body: SendSchema,
      responses: { 200: { description: "The reply", schema: v.object({ reply: v.string() }) } },
    },
    async (c, { principal, params, body }) =>
      c.json(
        await session(c.env, params.creation_id, principal).send(
          sessionName(params.creation_id, principal),
          principal,
          body.message,
        ),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/session/tickets",
      operationId: "createSessionTicket",
      summary: "A single-use, 60-second ticket for the session's WebSocket (seed 000)",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      responses: {
        201: {
          description: "The ticket",
          schema: v.object({ ticket: v.string(), expires_at: v.string() }),
        },
      },
    },
    async (c, { principal, params }) =>
      c.json(
        await session(c.env, params.creation_id, principal).issueTicket(
          sessionName(params.creation_id, principal),
          principal,
        ),
        201,
      ),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:creation_id/session",
      operationId: "sessionSocket",
      summary:
        "The session's WebSocket (seed 000): init, send, the reply's parts, message, cleared",
      description:
        'Upgrade: websocket with `?ticket=` (or Authorization). On connect `{ "type": "init", "history" }` (the last 50 of the session\'s chat); send `{ "type": "send", "text" }`; every socket of the user gets the reply\'s parts as they stream and `{ "type": "message", "role": "assistant", "content" }`; a clear sends `{ "type": "cleared" }`.',
      tag,
      // A browser cannot send Authorization on a WebSocket: the handler takes a ticket or it.
      auth: "public",
      params: SessionParamsSchema,
      query: v.object({
        ticket: v.optional(v.pipe(v.string(), v.maxLength(SESSION_TICKET_MAX_CHARS))),
      }),
      responses: { 101: { description: "The WebSocket" } },
    },
    async (c, { params, query }) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError("NOT_A_WEBSOCKET", "Connect with Upgrade: websocket.");
      }
      const name = await socketSession(c, params.creation_id, query.ticket);
      const headers = new Headers(c.req.raw.headers);
      headers.set(SESSION_NAME_HEADER, name);
      return actorByName(c.env.SESSION, name).fetch(new Request(c.req.raw, { headers }));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/stream",
      operationId: "streamOnce",
      summary: 'Seed 000 Pattern 7: one reply streamed as `data: {"text"}` events, then [DONE]',
      description:
        'Stateless: no history is kept. Metered like every reply (the creation\'s ai.payer pays); a failure mid-reply is a `data: {"error"}` event.',
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      body: SendSchema,
      responses: {
        200: { description: "text/event-stream", mediaType: "text/event-stream" },
        402: { description: "The payer cannot cover the worst case" },
      },
    },
    async (c, { principal, params, body }) =>
      callSessionStream(session(c.env, params.creation_id, principal), {
        op: "stream",
        name: sessionName(params.creation_id, principal),
        caller: principal,
        message: body.message,
      }),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:creation_id/session/clear",
      operationId: "sessionClear",
      summary: "Seed 000: forget the session's history",
      tag,
      auth,
      creationParam: "creation_id",
      params: SessionParamsSchema,
      responses: { 200: { description: "Cleared", schema: v.object({ ok: v.literal(true) }) } },
    },
    async (c, { principal, params }) =>
      c.json(
        await session(c.env, params.creation_id, principal).clear(
          sessionName(params.creation_id, principal),
          principal,
        ),
      ),
  ),
];
