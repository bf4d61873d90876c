// A streamed reply as OpenAI's Chat Completions stream: `chat.completion.chunk` events (the
// role, then each piece of text, then the finish reason), a usage chunk with empty `choices`
// (always, as if `stream_options.include_usage` were set), an SSE comment with the credits
// charged (`: x-troupe-charged: <credits>`: headers are gone by then; clients skip comments),
// then `data: [DONE]`. A failure after text was sent ends with the usage chunk, an `error`
// event (what OpenAI's SDKs raise) and no [DONE]. The stream is read to its end whether or not
// the caller stays, so the call is always settled; `done` is that work, for waitUntil.

import type { FinishReason } from "ai";
import type * as v from "valibot";
import type { ChatCompletionUsageSchema, ChatFinishReason } from "../shared/schemas/llm-tools.ts";
import type { ReplyStream } from "./llm-call.ts";
import type { Settlement } from "./metered-call.ts";

export interface CompletionMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

/** The AI SDK's finish reason in OpenAI's words. */
export function openAiFinishReason(reason: FinishReason): ChatFinishReason {
  if (reason === "length") return "length";
  if (reason === "content-filter") return "content_filter";
  return "stop";
}

export function openAiUsage({
  usage,
}: Settlement): v.InferOutput<typeof ChatCompletionUsageSchema> {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}

export function completionStream(
  reply: ReplyStream,
  meta: CompletionMeta,
): { body: ReadableStream<Uint8Array>; done: Promise<void> } {
  const encoder = new TextEncoder();
  let open = true;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      open = false;
      reply.abort();
    },
  });
  const send = (text: string) => {
    if (!open) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      open = false;
    }
  };
  const data = (value: unknown) => send(`data: ${JSON.stringify(value)}\n\n`);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    data({
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created,
      model: meta.model,
      choices,
      ...extra,
    });
  const choice = (delta: Record<string, string>, finish: ChatFinishReason | null) => [
    { index: 0, delta, logprobs: null, finish_reason: finish },
  ];

  const done = (async () => {
    chunk(choice({ role: "assistant", content: "" }, null));
    for await (const event of reply.events) {
      if (event.type === "text") {
        chunk(choice({ content: event.text }, null));
        continue;
      }
      if (!event.error) chunk(choice({}, openAiFinishReason(event.finishReason)));
      chunk([], { usage: openAiUsage(event.settlement) });
      if (event.error) {
        data({ error: { message: event.error, type: "server_error", code: "GENERATION_FAILED" } });
      }
      send(`: x-troupe-charged: ${event.settlement.charged}\n\n`);
      if (!event.error) send("data: [DONE]\n\n");
    }
    if (open) controller.close();
  })().catch((error: unknown) => {
    // Only a fault gets here (the reply ends and settles on its own): end the stream, loudly.
    if (open) controller.error(error);
    console.error(JSON.stringify({ level: "error", event: "llm_stream_failed", id: meta.id }));
  });
  return { body, done };
}
