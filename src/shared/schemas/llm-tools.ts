// The platform LLM tools' wire shapes: OpenAI's Chat Completions and Anthropic's Messages, text
// only. The fields each API defines and troupe honours are accepted; any other field is refused
// with its name (as OpenAI itself does), so a client never believes a setting took effect.

import * as v from "valibot";
import {
  LLM_TOOL_CONTENT_PARTS_MAX,
  LLM_TOOL_MAX_TOKENS_MAX,
  LLM_TOOL_MESSAGES_MAX,
  LLM_TOOL_MODEL_MAX_CHARS,
  LLM_TOOL_STOP_SEQUENCE_MAX_CHARS,
  LLM_TOOL_STOP_SEQUENCES_MAX,
  LLM_TOOL_TEXT_MAX_CHARS,
} from "../limits.ts";

const TextSchema = v.pipe(
  v.string(),
  v.maxLength(LLM_TOOL_TEXT_MAX_CHARS, `must be at most ${LLM_TOOL_TEXT_MAX_CHARS} characters`),
);

const TextPartSchema = v.object({ type: v.literal("text"), text: TextSchema });

/** A message's content: a string, or text parts (images, audio and files are not supported). */
const ContentSchema = v.union(
  [
    TextSchema,
    v.pipe(
      v.array(TextPartSchema),
      v.maxLength(
        LLM_TOOL_CONTENT_PARTS_MAX,
        `must have at most ${LLM_TOOL_CONTENT_PARTS_MAX} parts`,
      ),
    ),
  ],
  'must be a string or an array of {"type":"text","text"} parts',
);
export type LlmContent = v.InferOutput<typeof ContentSchema>;

const messagesSchema = <S extends v.GenericSchema>(message: S) =>
  v.pipe(
    v.array(message),
    v.minLength(1, "must hold at least one message"),
    v.maxLength(LLM_TOOL_MESSAGES_MAX, `must hold at most ${LLM_TOOL_MESSAGES_MAX} messages`),
  );

const ModelSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(LLM_TOOL_MODEL_MAX_CHARS, `must be at most ${LLM_TOOL_MODEL_MAX_CHARS} characters`),
);

const MaxTokensSchema = v.pipe(
  v.number(),
  v.integer("must be a whole number"),
  v.minValue(1, "must be at least 1"),
  v.maxValue(LLM_TOOL_MAX_TOKENS_MAX, `must be at most ${LLM_TOOL_MAX_TOKENS_MAX}`),
);

const between = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const StopSequenceSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(
    LLM_TOOL_STOP_SEQUENCE_MAX_CHARS,
    `must be at most ${LLM_TOOL_STOP_SEQUENCE_MAX_CHARS} characters`,
  ),
);

// ── OpenAI Chat Completions ────────────────────────────────────────────────────────────────

export const ChatCompletionMessageSchema = v.object({
  /** "developer" is OpenAI's newer name for "system"; both become the system prompt. */
  role: v.picklist(["system", "developer", "user", "assistant"]),
  content: ContentSchema,
});

export const ChatCompletionRequestSchema = v.pipe(
  v.object({
    /** One of the deployment's models; default its AI_MODEL. */
    model: v.optional(ModelSchema),
    messages: messagesSchema(ChatCompletionMessageSchema),
    stream: v.optional(v.boolean()),
    /** Usage is always reported, as if `include_usage` were true. */
    stream_options: v.optional(v.object({ include_usage: v.optional(v.boolean()) })),
    max_tokens: v.optional(MaxTokensSchema),
    max_completion_tokens: v.optional(MaxTokensSchema),
    temperature: v.optional(between(0, 2)),
    top_p: v.optional(between(0, 1)),
    presence_penalty: v.optional(between(-2, 2)),
    frequency_penalty: v.optional(between(-2, 2)),
    seed: v.optional(v.pipe(v.number(), v.safeInteger("must be a whole number"))),
    stop: v.optional(
      v.union(
        [
          StopSequenceSchema,
          v.pipe(
            v.array(StopSequenceSchema),
            v.maxLength(
              LLM_TOOL_STOP_SEQUENCES_MAX,
              `must hold at most ${LLM_TOOL_STOP_SEQUENCES_MAX} sequences`,
            ),
          ),
        ],
        "must be a string or an array of strings",
      ),
    ),
    n: v.optional(v.literal(1, "only 1 choice is supported")),
    /** The end user, for the caller's own records; not used. */
    user: v.optional(v.pipe(v.string(), v.maxLength(256, "must be at most 256 characters"))),
  }),
  v.forward(
    v.check(
      (body) =>
        body.max_tokens === undefined ||
        body.max_completion_tokens === undefined ||
        body.max_tokens === body.max_completion_tokens,
      "send max_completion_tokens or max_tokens, not two different values",
    ),
    ["max_completion_tokens"],
  ),
);
export type ChatCompletionRequest = v.InferOutput<typeof ChatCompletionRequestSchema>;

const FinishReasonSchema = v.picklist(["stop", "length", "content_filter"]);
export type ChatFinishReason = v.InferOutput<typeof FinishReasonSchema>;

export const ChatCompletionUsageSchema = v.object({
  prompt_tokens: v.number(),
  completion_tokens: v.number(),
  total_tokens: v.number(),
});

export const ChatCompletionSchema = v.object({
  id: v.string(),
  object: v.literal("chat.completion"),
  /** Unix seconds. */
  created: v.number(),
  model: v.string(),
  choices: v.array(
    v.object({
      index: v.literal(0),
      message: v.object({ role: v.literal("assistant"), content: v.string() }),
      logprobs: v.null(),
      finish_reason: FinishReasonSchema,
    }),
  ),
  usage: ChatCompletionUsageSchema,
});
export type ChatCompletion = v.InferOutput<typeof ChatCompletionSchema>;

// ── Anthropic Messages ─────────────────────────────────────────────────────────────────────

export const AnthropicMessageSchema = v.object({
  role: v.picklist(["user", "assistant"]),
  content: ContentSchema,
});

export const AnthropicRequestSchema = v.object({
  /** One of the deployment's models; default its AI_MODEL. */
  model: v.optional(ModelSchema),
  max_tokens: MaxTokensSchema,
  system: v.optional(ContentSchema),
  messages: messagesSchema(AnthropicMessageSchema),
  temperature: v.optional(between(0, 1)),
  top_p: v.optional(between(0, 1)),
  stream: v.optional(
    v.literal(
      false,
      "streaming is not supported here; stream with /v1/tools/llm/v1/chat/completions",
    ),
  ),
  /** The caller's own records; not used. */
  metadata: v.optional(
    v.object({
      user_id: v.optional(v.pipe(v.string(), v.maxLength(256, "must be at most 256 characters"))),
    }),
  ),
});
export type AnthropicRequest = v.InferOutput<typeof AnthropicRequestSchema>;

export const AnthropicResponseSchema = v.object({
  id: v.string(),
  type: v.literal("message"),
  role: v.literal("assistant"),
  model: v.string(),
  content: v.array(v.object({ type: v.literal("text"), text: v.string() })),
  stop_reason: v.picklist(["end_turn", "max_tokens"]),
  stop_sequence: v.null(),
  usage: v.object({ input_tokens: v.number(), output_tokens: v.number() }),
});
export type AnthropicResponse = v.InferOutput<typeof AnthropicResponseSchema>;
