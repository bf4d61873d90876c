// Platform LLM tools (seed 000): a creation's backend calls the platform's model in OpenAI's or
// Anthropic's shape, with its `rct_` token or a live secret key, and the creation's wallet pays
// by the token formula: the worst case is held first (402 when it cannot be), and the call is
// settled for its usage when it ends (src/ai/metered-call.ts).

import { completionStream, openAiFinishReason, openAiUsage } from "../../ai/completion-stream.ts";
import type { LlmReply, PreparedLlmCall } from "../../ai/llm-call.ts";
import { generateReply, modelMessage, prepareLlmCall, streamReply } from "../../ai/llm-call.ts";
import { clock } from "../../shared/clock.ts";
import {
  AnthropicRequestSchema,
  type AnthropicResponse,
  AnthropicResponseSchema,
  type ChatCompletion,
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
} from "../../shared/schemas/llm-tools.ts";
import type { AppContext } from "../context.ts";
import { defineRoute } from "../route.ts";

const tag = "llm tools";
const CHARGED_HEADER = "x-troupe-charged";
const CALL_ID_HEADER = "x-troupe-call-id";

const paid = {
  auth: ["creation"],
  scope: "ai:generate",
  liveKeysOnly: true,
  tag,
} as const;

const refusals = {
  402: { description: "INSUFFICIENT_CREATION_FUNDS: the wallet cannot hold the worst case" },
  502: { description: "GENERATION_FAILED: the provider failed before any output; nothing charged" },
};

const BILLING =
  "Billed to the calling creation's wallet: a hold for the worst case (the prompt, estimated at 4 characters a token, and the most output allowed: `max_tokens` capped by the deployment's AI_MAX_OUTPUT_TOKENS), then `ceil((input_tokens × AI_INPUT_CREDITS_PER_1K_TOKENS + output_tokens × AI_OUTPUT_CREDITS_PER_1K_TOKENS) / 1000)` of the reported usage is captured (at most the hold; output estimated from the text when none is reported) and the rest released. `model` is one of the deployment's models (else MODEL_NOT_ALLOWED). A test key is refused: it may not move credits.";

/** The whole reply, settled before the answer; kept alive if the caller leaves meanwhile. */
function settledReply(c: AppContext, call: PreparedLlmCall): Promise<LlmReply> {
  const work = generateReply(call);
  c.executionCtx.waitUntil(
    work.then(
      () => undefined,
      () => undefined,
    ),
  );
  return work;
}

function chatSampling(body: ChatCompletionRequest) {
  return {
    temperature: body.temperature,
    topP: body.top_p,
    presencePenalty: body.presence_penalty,
    frequencyPenalty: body.frequency_penalty,
    seed: body.seed,
    stopSequences: typeof body.stop === "string" ? [body.stop] : body.stop,
  };
}

export const llmToolRoutes = [
  defineRoute(
    {
      ...paid,
      method: "post",
      path: "/v1/tools/llm/v1/chat/completions",
      operationId: "llmChatCompletions",
      summary: "OpenAI-compatible chat completions on the platform's model, paid by the creation",
      description: `Text only. Non-streaming: a \`chat.completion\` with \`usage\` and header \`${CHARGED_HEADER}\` (credits). With \`stream: true\`: \`chat.completion.chunk\` events, a usage chunk (always), the charge as the SSE comment \`: ${CHARGED_HEADER}: <credits>\`, then \`data: [DONE]\`; a failure after text was sent ends with an \`error\` event instead of [DONE]. ${BILLING}`,
      body: ChatCompletionRequestSchema,
      responses: {
        200: {
          description: "The completion, or with `stream: true` its chunks as text/event-stream",
          schema: ChatCompletionSchema,
          streamMediaType: "text/event-stream",
        },
        ...refusals,
      },
    },
    async (c, { principal, body }) => {
      const call = await prepareLlmCall(c.env, {
        creationId: principal.id,
        label: "chat.completions",
        model: body.model,
        messages: body.messages.map((message) => modelMessage(message.role, message.content)),
        maxTokens: body.max_completion_tokens ?? body.max_tokens,
        sampling: chatSampling(body),
      });
      const meta = {
        id: `chatcmpl-${call.metered.id.slice("llm_".length)}`,
        created: Math.floor(clock.now() / 1000),
        model: call.model,
      };
      if (body.stream) {
        const { body: stream, done } = completionStream(await streamReply(call), meta);
        c.executionCtx.waitUntil(done);
        return new Response(stream, {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            [CALL_ID_HEADER]: call.metered.id,
          },
        });
      }
      const reply = await settledReply(c, call);
      const completion: ChatCompletion = {
        ...meta,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: reply.text },
            logprobs: null,
            finish_reason: openAiFinishReason(reply.finishReason),
          },
        ],
        usage: openAiUsage(reply.settlement),
      };
      c.header(CHARGED_HEADER, String(reply.settlement.charged));
      c.header(CALL_ID_HEADER, call.metered.id);
      return c.json(completion);
    },
  ),
  defineRoute(
    {
      ...paid,
      method: "post",
      path: "/v1/tools/llm/v1/messages",
      operationId: "llmMessages",
      summary: "Anthropic Messages (non-streaming) on the platform's model, paid by the creation",
      description: `Text only; the answer carries header \`${CHARGED_HEADER}\` (credits). ${BILLING}`,
      body: AnthropicRequestSchema,
      responses: {
        200: { description: "The message", schema: AnthropicResponseSchema },
        ...refusals,
      },
    },
    async (c, { principal, body }) => {
      const system = body.system === undefined ? [] : [modelMessage("system", body.system)];
      const call = await prepareLlmCall(c.env, {
        creationId: principal.id,
        label: "messages",
        model: body.model,
        messages: [
          ...system,
          ...body.messages.map((message) => modelMessage(message.role, message.content)),
        ],
        maxTokens: body.max_tokens,
        sampling: { temperature: body.temperature, topP: body.top_p },
      });
      const reply = await settledReply(c, call);
      const { usage } = reply.settlement;
      const message: AnthropicResponse = {
        id: `msg_${call.metered.id.slice("llm_".length)}`,
        type: "message",
        role: "assistant",
        model: call.model,
        content: [{ type: "text", text: reply.text }],
        stop_reason: reply.finishReason === "length" ? "max_tokens" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens },
      };
      c.header(CHARGED_HEADER, String(reply.settlement.charged));
      c.header(CALL_ID_HEADER, call.metered.id);
      return c.json(message);
    },
  ),
];
