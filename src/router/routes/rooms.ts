import type * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { privilegedIdentity, roomIdentityOf, ticketIdentity } from "../../actors/room/identity.ts";
import { ROOM_IDENTITY_HEADER } from "../../actors/room/room-do.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { RoomIdentity } from "../../shared/schemas/room.ts";
import {
  RoomConnectQuerySchema,
  RoomMessageSchema,
  RoomParamsSchema,
  RoomStatePatchSchema,
} from "../../shared/schemas/room-api.ts";
import { requireUserEnabled } from "../auth/user-status.ts";
import { defineRoute } from "../route.ts";

const tag = "rooms";
type RoomParams = v.InferOutput<typeof RoomParamsSchema>;

const roomOf = (env: Env, { creation_id, room }: RoomParams) =>
  actorByName(env.ROOM, `${creation_id}:${room}`);

async function policyOf(env: Env, creationId: string) {
  const policy = await actorByName(env.CREATION, creationId).roomPolicy();
  if (!policy) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
  return policy;
}

/** The creation's room policy; with a user's JWT, only while the user is not disabled (asked
 * at the same time, so it adds no wait). */
async function policyFor(env: Env, creationId: string, principal: Principal | null) {
  const [policy] = await Promise.all([
    policyOf(env, creationId),
    principal?.type === "user" ? requireUserEnabled(env, principal.id) : undefined,
  ]);
  return policy;
}

export const roomRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/rooms/:creation_id/:room/tickets",
      operationId: "createRoomTicket",
      summary: "A single-use, 60-second ticket to open the room's WebSocket from a browser",
      description:
        "With a user JWT the ticket stands for that user (403 AUTH_USER_DISABLED while the user is disabled); without credentials only when the creation allows anonymous visitors.",
      tag,
      auth: "optional",
      scope: "rooms:write",
      creationParam: "creation_id",
      params: RoomParamsSchema,
      responses: { 201: { description: "{ ticket, expires_at }" } },
    },
    async (c, { principal, params }) => {
      const policy = await policyFor(c.env, params.creation_id, principal);
      const identity = ticketIdentity(principal, policy);
      return c.json(await roomOf(c.env, params).issueTicket(identity), 201);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/rooms/:creation_id/:room",
      operationId: "room",
      summary:
        "The room's WebSocket (Upgrade: websocket, with ?ticket= or Authorization), or its { version, state, presence }",
      description:
        "An upgrade without a valid ticket or credentials is refused with 401 before any socket opens, and with a disabled user's JWT with 403 AUTH_USER_DISABLED. `since=<version>` on reconnect sends only the missed patches while the room's patch log reaches back.",
      tag,
      auth: "optional",
      scope: "rooms:write",
      creationParam: "creation_id",
      params: RoomParamsSchema,
      query: RoomConnectQuerySchema,
      responses: {
        101: { description: "The WebSocket" },
        200: { description: "{ version, state, presence }" },
      },
    },
    async (c, { principal, params, query }) => {
      const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
      const policy = await policyFor(c.env, params.creation_id, upgrade ? principal : null);
      const room = roomOf(c.env, params);
      if (!upgrade) {
        if (!principal)
          throw new ApiError("UNAUTHENTICATED", "Send a bearer token or a service signature.");
        return c.json(await room.snapshot());
      }
      let identity: RoomIdentity | null = principal
        ? roomIdentityOf(principal, policy.owner)
        : null;
      if (!identity && query.ticket) {
        identity = await room.redeemTicket(query.ticket);
        if (!identity)
          throw new ApiError("INVALID_TICKET", "The ticket is unknown, used or expired.");
      }
      if (!identity)
        throw new ApiError("UNAUTHENTICATED", "Connect with ?ticket= or an Authorization header.");
      const headers = new Headers(c.req.raw.headers);
      headers.set(ROOM_IDENTITY_HEADER, JSON.stringify(identity));
      return room.fetch(new Request(c.req.raw.url, { headers }));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/rooms/:creation_id/:room/messages",
      operationId: "pushRoomMessage",
      summary: "Send { data } to every connection as a server.message",
      tag,
      auth: ["user", "service", "creation"],
      scope: "rooms:write",
      creationParam: "creation_id",
      params: RoomParamsSchema,
      body: RoomMessageSchema,
      responses: { 200: { description: "{ delivered }" } },
    },
    async (c, { principal, params, body }) => {
      privilegedIdentity(principal, await policyOf(c.env, params.creation_id));
      return c.json(await roomOf(c.env, params).serverMessage(body.data));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/rooms/:creation_id/:room/state",
      operationId: "patchRoomState",
      summary: "Apply a privileged patch (any path) and broadcast it",
      tag,
      auth: ["user", "service", "creation"],
      scope: "rooms:write",
      creationParam: "creation_id",
      params: RoomParamsSchema,
      body: RoomStatePatchSchema,
      responses: { 200: { description: "{ version }" } },
    },
    async (c, { principal, params, body }) => {
      const identity = privilegedIdentity(principal, await policyOf(c.env, params.creation_id));
      return c.json(await roomOf(c.env, params).privilegedPatch(body.ops, identity.user_id));
    },
  ),
];
