// The REST side of rooms: tickets, snapshots, server messages and privileged patches.

import * as v from "valibot";
import { JsonValueSchema } from "../json.ts";
import { ROOM_TICKET_MAX_CHARS } from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { PatchOpsSchema, RoomNameSchema } from "./room.ts";

export const RoomParamsSchema = v.object({ creation_id: CreationIdSchema, room: RoomNameSchema });
/** A connection ticket, as the router reads it and the client SDK takes it from the answer. */
export const RoomTicketSchema = v.pipe(v.string(), v.maxLength(ROOM_TICKET_MAX_CHARS));
export const RoomTicketAnswerSchema = v.object({
  ticket: v.pipe(RoomTicketSchema, v.minLength(1)),
});
/** `since=<version>`: digits only, within a safe integer, so Number() reads it exactly. */
export const RoomSinceSchema = v.pipe(
  v.string(),
  v.regex(/^\d{1,15}$/, "must be a version number"),
);
export const RoomConnectQuerySchema = v.object({
  ticket: v.optional(RoomTicketSchema),
  since: v.optional(RoomSinceSchema),
});
export const RoomMessageSchema = v.strictObject({ data: JsonValueSchema });
export const RoomStatePatchSchema = v.strictObject({ ops: PatchOpsSchema });
