// The REST side of rooms: tickets, snapshots, server messages and privileged patches.

import * as v from "valibot";
import { JsonValueSchema } from "../json.ts";
import { CreationIdSchema } from "./creation.ts";
import { PatchOpsSchema, RoomNameSchema } from "./room.ts";

export const RoomParamsSchema = v.object({ creation_id: CreationIdSchema, room: RoomNameSchema });
export const RoomConnectQuerySchema = v.object({
  ticket: v.optional(v.pipe(v.string(), v.maxLength(64))),
  since: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, "must be a version number"))),
});
export const RoomMessageSchema = v.strictObject({ data: JsonValueSchema });
export const RoomStatePatchSchema = v.strictObject({ ops: PatchOpsSchema });
