// The AI session wire protocol: what useChat sends (the AI SDK's UI messages), what the
// server answers, and the session's preferences. The server owns the history: of a request it
// reads only the newest user message.

import * as v from "valibot";
import { CHAT_ID_MAX_CHARS, CHAT_MESSAGE_MAX_CHARS, CHAT_MESSAGES_PAGE_MAX } from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { pageLimitSchema } from "./meta.ts";
import { textSchema } from "./text.ts";

/** Parts one user message may carry (useChat sends one text part). */
const MESSAGE_PARTS_MAX = 16;
/** Entries of `messages` a request may carry: only the last is read, the rest is bounded. */
const REQUEST_MESSAGES_MAX = 10_000;
/** Longest model id a preference or setting may name. */
export const MODEL_ID_MAX_CHARS = 200;

/** A chat or message id as useChat makes them (nanoid-like), or one the client chose. */
export const ChatIdSchema = v.pipe(
  v.string(),
  v.regex(
    new RegExp(`^[A-Za-z0-9_-]{1,${CHAT_ID_MAX_CHARS}}$`),
    `must be 1–${CHAT_ID_MAX_CHARS} letters, digits, _ or -`,
  ),
);

export const MessageTextSchema = v.pipe(
  textSchema(CHAT_MESSAGE_MAX_CHARS, 1),
  v.check((text) => text.trim().length > 0, "must not be blank"),
);

const TextPartSchema = v.looseObject({ type: v.literal("text"), text: MessageTextSchema });

/** A user's message as useChat sends it: text parts only (files are not supported yet). */
export const UserMessageSchema = v.looseObject({
  id: ChatIdSchema,
  role: v.literal("user"),
  parts: v.pipe(
    v.array(v.unknown()),
    v.minLength(1, "must hold a text part"),
    v.maxLength(MESSAGE_PARTS_MAX, `must hold at most ${MESSAGE_PARTS_MAX} parts`),
    v.check(
      (parts) => parts.every((part) => v.is(TextPartSchema, part)),
      'only text parts ({"type":"text","text"}) are supported',
    ),
  ),
});
export type UserMessage = { id: string; role: "user"; parts: { type: "text"; text: string }[] };

/** POST …/chat: useChat's body (`id`, `messages`, `trigger`, `messageId`) or `{ id, message }`. */
export const ChatRequestSchema = v.looseObject({
  id: ChatIdSchema,
  /** Only the last entry is read, and only when it is the user's. */
  messages: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(REQUEST_MESSAGES_MAX))),
  message: v.optional(v.unknown()),
  trigger: v.optional(v.picklist(["submit-message", "regenerate-message"])),
  messageId: v.optional(v.string()),
});
export type ChatRequest = v.InferOutput<typeof ChatRequestSchema>;

export const ChatParamsSchema = v.object({ creation_id: CreationIdSchema, chat_id: ChatIdSchema });
export const SessionParamsSchema = v.object({ creation_id: CreationIdSchema });

export const StreamQuerySchema = v.object({
  after: v.optional(v.pipe(v.string(), v.regex(/^\d{1,9}$/, "must be an event id"))),
});

export const ChatPageQuerySchema = v.object({
  limit: pageLimitSchema(CHAT_MESSAGES_PAGE_MAX),
  before: v.optional(ChatIdSchema),
});

/** A stored message, as the AI SDK's UIMessage. */
export const UIMessageSchema = v.object({
  id: v.string(),
  role: v.picklist(["user", "assistant", "system"]),
  parts: v.array(v.record(v.string(), v.unknown())),
  metadata: v.optional(v.unknown()),
});
export type StoredUIMessage = v.InferOutput<typeof UIMessageSchema>;

export const ChatPageSchema = v.object({
  id: v.string(),
  messages: v.array(UIMessageSchema),
  /** Pass as `before` for the page of older messages; null at the first message. */
  next_before: v.nullable(v.string()),
});

export const ChatListSchema = v.object({
  chats: v.array(
    v.object({
      id: v.string(),
      title: v.nullable(v.string()),
      created_at: v.string(),
      updated_at: v.string(),
    }),
  ),
});

export const PrefsSchema = v.object({
  model: v.string(),
  temperature: v.nullable(v.number()),
  /** What the user may choose from. */
  models: v.array(v.string()),
});

export const PutPrefsSchema = v.strictObject({
  model: v.optional(v.pipe(v.string(), v.maxLength(MODEL_ID_MAX_CHARS))),
  temperature: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(2)))),
});
export type PutPrefs = v.InferOutput<typeof PutPrefsSchema>;

/** Seed 000: POST …/session/send { message } → { reply }. */
export const SendSchema = v.strictObject({ message: MessageTextSchema });
