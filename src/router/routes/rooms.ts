import type * as v from "valibot";
import { requireSameCreation } from "../../actors/access.ts";
import { actorByName } from "../../actors/refusal.ts";
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
import type { AppContext } from "../context.ts";
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

/** Who a principal is inside a creation's room: its owner and backend are privileged. */
function identityOf(principal: Principal, owner: string): RoomIdentity {
  switch (principal.type) {
    case "user":
      return {
        user_id: principal.id,
        name: principal.email,
        anonymous: false,
        privileged: principal.id === owner,
      };
    case "creation":
      return {
        user_id: `creation:${principal.id}`,
        name: null,
        anonymous: false,
        privileged: true,
      };
    case "service":
      return { user_id: "service", name: null, anonymous: false, privileged: true };
  }
}

/** Pushes are for the creation's own token, its owner, and the platform. */
async function requirePrivileged(c: AppContext, principal: Principal, params: RoomParams) {
  const identity = identityOf(principal, (await policyOf(c.env, params.creation_id)).owner);
  if (!identity.privileged) {
    throw new ApiError("FORBIDDEN", "Only the creation, its owner or the platform push to rooms.");
  }
  return identity;
}

export const roomRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/rooms/:creation_id/:room/tickets",
      operationId: "createRoomTicket",
      summary: "A single-use, 60-second ticket to open the room's WebSocket from a browser",
      description:
        "With a user JWT the ticket stands for that user; without credentials only when the creation allows anonymous visitors.",
      tag,
      auth: "optional",
      params: RoomParamsSchema,
      responses: { 201: { description: "{ ticket, expires_at }" } },
    },
    async (c, { principal, params }) => {
      const policy = await policyOf(c.env, params.creation_id);
      let identity: RoomIdentity;
      if (principal) {
        requireSameCreation(principal, params.creation_id);
        identity = identityOf(principal, policy.owner);
      } else if (policy.allow_anonymous) {
        identity = {
          user_id: `anon:${crypto.randomUUID()}`,
          name: null,
          anonymous: true,
          privileged: false,
        };
      } else {
        throw new ApiError("UNAUTHENTICATED", "This creation's rooms need a signed-in user.");
      }
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
        "An upgrade without a valid ticket or credentials is refused with 401 before any socket opens. `since=<version>` on reconnect sends only the missed patches while the room's patch log reaches back.",
      tag,
      auth: "optional",
      creationParam: "creation_id",
      params: RoomParamsSchema,
      query: RoomConnectQuerySchema,
      responses: {
        101: { description: "The WebSocket" },
        200: { description: "{ version, state, presence }" },
      },
    },
    async (c, { principal, params, query }) => {
      const policy = await policyOf(c.env, params.creation_id);
      const room = roomOf(c.env, params);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        if (!principal)
          throw new ApiError("UNAUTHENTICATED", "Send a bearer token or a service signature.");
        return c.json(await room.snapshot());
      }
      let identity: RoomIdentity | null = principal ? identityOf(principal, policy.owner) : null;
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
      creationParam: "creation_id",
      params: RoomParamsSchema,
      body: RoomMessageSchema,
      responses: { 200: { description: "{ delivered }" } },
    },
    async (c, { principal, params, body }) => {
      await requirePrivileged(c, principal, params);
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
      creationParam: "creation_id",
      params: RoomParamsSchema,
      body: RoomStatePatchSchema,
      responses: { 200: { description: "{ version }" } },
    },
    async (c, { principal, params, body }) => {
      const identity = await requirePrivileged(c, principal, params);
      return c.json(await roomOf(c.env, params).privilegedPatch(body.ops, identity.user_id));
    },
  ),
];
