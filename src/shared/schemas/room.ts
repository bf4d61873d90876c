// The room wire protocol, both ways, once: every frame a client may send (validated by the room,
// the router and the client SDK alike) and every frame a room sends back (validated by the
// client SDK, so a frame it cannot trust is reported instead of applied). Types come from the
// schemas, so the protocol has one definition.

import * as v from "valibot";
import type { ErrorCode } from "../errors.ts";
import {
  isJsonObject,
  type JsonObject,
  JsonObjectSchema,
  type JsonValue,
  JsonValueSchema,
  jsonProblem,
} from "../json.ts";
import {
  ROOM_CHAT_MAX_CHARS,
  ROOM_PATCH_ID_MAX_CHARS,
  ROOM_PATCH_OPS_MAX,
  ROOM_PATH_MAX_CHARS,
  ROOM_STATE_MAX_DEPTH,
  ROOM_TIMER_MAX_SECONDS,
} from "../limits.ts";
import { textSchema } from "./text.ts";

export const RoomNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be 1-64 of A-Z, a-z, 0-9, _, . and -"),
);

const PathSchema = v.pipe(
  v.string(),
  v.regex(/^(\/[^/]+)+$/, 'must look like "/shared/key"'),
  v.maxLength(ROOM_PATH_MAX_CHARS),
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

/** A patch's id, chosen by the client: the room answers with it and remembers it (a resent
 * patch is applied once). */
export const PatchIdSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(ROOM_PATCH_ID_MAX_CHARS),
);

/** Frames a client sends. */
export const ClientFrameSchema = v.variant("type", [
  v.object({
    type: v.literal("chat.send"),
    text: textSchema(ROOM_CHAT_MAX_CHARS, 1),
  }),
  v.object({ type: v.literal("state.patch"), id: PatchIdSchema, ops: PatchOpsSchema }),
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
  /** Present when an agent acts for the user: it speaks as its user, under its own name. */
  agent_id: v.optional(v.string()),
});
export type RoomIdentity = v.InferOutput<typeof RoomIdentitySchema>;

// ── frames a room sends ─────────────────────────────────────────────────────────────────────

/** The room's whole state: deeper than one frame's value may be (a value set at a deep path),
 * but never deeper than ROOM_STATE_MAX_DEPTH. */
const RoomStateSchema = v.custom<JsonObject>(
  (value) => isJsonObject(value) && jsonProblem(value, ROOM_STATE_MAX_DEPTH) === null,
  (issue) =>
    (isJsonObject(issue.input) ? jsonProblem(issue.input, ROOM_STATE_MAX_DEPTH) : null) ??
    "must be a JSON object",
);

/** Any JSON a room relays (server messages wrap a creation's payload in a few more levels). */
const RelayedJsonSchema = v.custom<JsonValue>(
  (value) => jsonProblem(value, ROOM_STATE_MAX_DEPTH) === null,
  (issue) => jsonProblem(issue.input, ROOM_STATE_MAX_DEPTH) ?? "must be a JSON value",
);

const VersionSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export const PresenceEntrySchema = v.object({
  user_id: v.string(),
  name: v.nullable(v.string()),
  anonymous: v.boolean(),
  data: JsonObjectSchema,
  /** Open connections (tabs) of this user. */
  connections: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});
export type PresenceEntry = v.InferOutput<typeof PresenceEntrySchema>;

export const ChatMessageSchema = v.object({
  type: v.literal("chat.message"),
  id: v.string(),
  user_id: v.string(),
  text: v.string(),
  at: v.string(),
});
export type ChatMessage = v.InferOutput<typeof ChatMessageSchema>;

export const PatchedFrameSchema = v.object({
  type: v.literal("state.patched"),
  version: v.pipe(VersionSchema, v.minValue(1)),
  ops: PatchOpsSchema,
  by: v.string(),
});
export type PatchedFrame = v.InferOutput<typeof PatchedFrameSchema>;

export const WelcomeFrameSchema = v.object({
  type: v.literal("welcome"),
  connection_id: v.string(),
  user: RoomIdentitySchema,
  version: VersionSchema,
  /** The full state, or null when `patches` carry the client from its `since` to `version`. */
  state: v.nullable(RoomStateSchema),
  patches: v.nullable(v.array(PatchedFrameSchema)),
  presence: v.array(PresenceEntrySchema),
  history: v.array(ChatMessageSchema),
});
export type WelcomeFrame = v.InferOutput<typeof WelcomeFrameSchema>;

/** Room error codes: entries of the one error catalogue (src/shared/errors.ts). */
export const RoomErrorCodeSchema = v.picklist([
  "INVALID_FRAME",
  "FRAME_TOO_LARGE",
  "RATE_LIMITED",
  "FORBIDDEN_PATH",
  "INVALID_PATCH",
  "STATE_TOO_LARGE",
  "PRESENCE_TOO_LARGE",
  "FORBIDDEN",
  "TIMER_LIMIT",
  "TIMER_NOT_FOUND",
  /** A patch id this user already used for a different patch. */
  "PATCH_ID_REUSED",
  "INTERNAL",
] as const satisfies readonly ErrorCode[]);
export type RoomErrorCode = v.InferOutput<typeof RoomErrorCodeSchema>;

/** Frames a room sends. */
export const ServerFrameSchema = v.variant("type", [
  WelcomeFrameSchema,
  ChatMessageSchema,
  PatchedFrameSchema,
  v.object({ type: v.literal("ack"), id: PatchIdSchema, version: VersionSchema }),
  v.object({
    type: v.literal("error"),
    id: v.optional(PatchIdSchema),
    code: RoomErrorCodeSchema,
    message: v.string(),
    /** The same RFC 9457 body an HTTP refusal has (problemBody), with a request id to quote. */
    problem: v.optional(
      v.object({
        type: v.string(),
        title: v.string(),
        status: v.number(),
        detail: v.string(),
        code: RoomErrorCodeSchema,
        request_id: v.optional(v.string()),
      }),
    ),
  }),
  v.object({ type: v.literal("presence.joined"), user: PresenceEntrySchema }),
  v.object({ type: v.literal("presence.updated"), user: PresenceEntrySchema }),
  v.object({ type: v.literal("presence.left"), user_id: v.string() }),
  v.object({
    type: v.literal("cursor"),
    user_id: v.string(),
    x: v.pipe(v.number(), v.finite()),
    y: v.pipe(v.number(), v.finite()),
  }),
  v.object({ type: v.literal("timer.started"), name: v.string(), fires_at: v.string() }),
  v.object({ type: v.literal("timer.cancelled"), name: v.string() }),
  v.object({ type: v.literal("timer.fired"), name: v.string() }),
  v.object({ type: v.literal("server.message"), data: RelayedJsonSchema, at: v.string() }),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
