// The room wire protocol: every frame a client may send (validated by the room, the router and
// the client SDK alike) and every frame a room sends back.

import * as v from "valibot";
import { JsonObjectSchema, type JsonValue, JsonValueSchema } from "../json.ts";
import { ROOM_CHAT_MAX_CHARS, ROOM_PATCH_OPS_MAX, ROOM_TIMER_MAX_SECONDS } from "../limits.ts";
import { textSchema } from "./text.ts";

export const RoomNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be 1-64 of A-Z, a-z, 0-9, _, . and -"),
);

const PathSchema = v.pipe(
  v.string(),
  v.regex(/^(\/[^/]+)+$/, 'must look like "/shared/key"'),
  v.maxLength(256),
);

export const PatchOpSchema = v.variant("op", [
  v.object({ op: v.literal("set"), path: PathSchema, value: JsonValueSchema }),
  v.object({ op: v.literal("delete"), path: PathSchema }),
  v.object({
    op: v.literal("increment"),
    path: PathSchema,
    value: v.optional(v.pipe(v.number(), v.finite())),
  }),
  v.object({ op: v.literal("append"), path: PathSchema, value: JsonValueSchema }),
]);
export type PatchOp = v.InferOutput<typeof PatchOpSchema>;

export const PatchOpsSchema = v.pipe(
  v.array(PatchOpSchema),
  v.minLength(1, "needs at least one op"),
  v.maxLength(ROOM_PATCH_OPS_MAX, `may hold at most ${ROOM_PATCH_OPS_MAX} ops`),
);

const TimerNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be a short name"),
);

/** Frames a client sends. */
export const ClientFrameSchema = v.variant("type", [
  v.object({
    type: v.literal("chat.send"),
    text: textSchema(ROOM_CHAT_MAX_CHARS, 1),
  }),
  v.object({
    type: v.literal("state.patch"),
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
    ops: PatchOpsSchema,
  }),
  v.object({ type: v.literal("presence.set"), data: JsonObjectSchema }),
  v.object({
    type: v.literal("cursor"),
    x: v.pipe(v.number(), v.finite()),
    y: v.pipe(v.number(), v.finite()),
  }),
  v.object({
    type: v.literal("timer.start"),
    name: TimerNameSchema,
    seconds: v.pipe(v.number(), v.minValue(0.1), v.maxValue(ROOM_TIMER_MAX_SECONDS)),
  }),
  v.object({ type: v.literal("timer.cancel"), name: TimerNameSchema }),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;

/** Who a connection is: decided by the router, never by anything the client sends. */
export const RoomIdentitySchema = v.object({
  user_id: v.string(),
  name: v.nullable(v.string()),
  anonymous: v.boolean(),
  /** The creation's owner or its backend: may write anywhere and run timers. */
  privileged: v.boolean(),
});
export type RoomIdentity = v.InferOutput<typeof RoomIdentitySchema>;

export interface PresenceEntry {
  user_id: string;
  name: string | null;
  anonymous: boolean;
  data: Record<string, JsonValue>;
  /** Open connections (tabs) of this user. */
  connections: number;
}

export interface ChatMessage {
  type: "chat.message";
  id: string;
  user_id: string;
  text: string;
  at: string;
}

export interface PatchedFrame {
  type: "state.patched";
  version: number;
  ops: PatchOp[];
  by: string;
}

export interface WelcomeFrame {
  type: "welcome";
  connection_id: string;
  user: RoomIdentity;
  version: number;
  /** The full state, or null when `patches` carry the client from its `since` to `version`. */
  state: JsonValue | null;
  patches: PatchedFrame[] | null;
  presence: PresenceEntry[];
  history: ChatMessage[];
}

export type RoomErrorCode =
  | "INVALID_FRAME"
  | "FRAME_TOO_LARGE"
  | "RATE_LIMITED"
  | "FORBIDDEN_PATH"
  | "INVALID_PATCH"
  | "STATE_TOO_LARGE"
  | "PRESENCE_TOO_LARGE"
  | "FORBIDDEN"
  | "TIMER_LIMIT"
  | "TIMER_NOT_FOUND"
  | "INTERNAL";

export type ServerFrame =
  | WelcomeFrame
  | ChatMessage
  | PatchedFrame
  | { type: "ack"; id: string; version: number }
  | { type: "error"; id?: string; code: RoomErrorCode; message: string }
  | { type: "presence.joined"; user: PresenceEntry }
  | { type: "presence.updated"; user: PresenceEntry }
  | { type: "presence.left"; user_id: string }
  | { type: "cursor"; user_id: string; x: number; y: number }
  | { type: "timer.started"; name: string; fires_at: string }
  | { type: "timer.cancelled"; name: string }
  | { type: "timer.fired"; name: string }
  | { type: "server.message"; data: JsonValue; at: string };
