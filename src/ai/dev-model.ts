// The development model (AI_PROVIDER=dev, the default): deterministic, offline, free of keys.
// It answers with a scripted reply built from the last user message, streamed word by word
// with a short pause, and reports plausible usage, so `npm start` shows streaming, stop,
// resume and metering without any provider.

import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { estimateTokens } from "./pricing.ts";

/** Pause between words: slow enough to watch a reply stream in, to stop it, to reload. */
export const DEV_MODEL_WORD_DELAY_MS = 40;

export const DEV_MODEL_ID = "troupe-dev";

/** The text of the last user message of a prompt. */
function lastUserText(options: LanguageModelV4CallOptions): string {
  for (let i = options.prompt.length - 1; i >= 0; i--) {
    const message = options.prompt[i];
    if (message?.role !== "user") continue;
    return message.content
      .map((part) => (part.type === "text" ? part.text : ""))
      .join("")
      .trim();
  }
  return "";
}

function promptChars(options: LanguageModelV4CallOptions): number {
  let chars = 0;
  for (const message of options.prompt) {
    if (typeof message.content === "string") chars += message.content.length;
    else for (const part of message.content) if (part.type === "text") chars += part.text.length;
  }
  return chars;
}

/** The reply: the same for the same message, a few sentences long. */
export function devReply(userText: string): string {
  const topic = userText.length > 0 ? userText : "nothing in particular";
  return `You said: "${topic}". This is troupe's development model: it streams this reply word by word, so you can watch it arrive, stop it, or reload the page and see it resume where it was. Set AI_PROVIDER to use a real model.`;
}

function usageOf(inputTokens: number, outputTokens: number): LanguageModelV4Usage {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export function devModel(modelId = DEV_MODEL_ID, wordDelayMs = DEV_MODEL_WORD_DELAY_MS) {
  const model: LanguageModelV4 = {
    specificationVersion: "v4",
    provider: "troupe-dev",
    modelId,
    supportedUrls: {},
    async doGenerate(options) {
      const text = devReply(lastUserText(options));
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: usageOf(Math.ceil(promptChars(options) / 4), estimateTokens(text)),
        warnings: [],
      };
    },
    async doStream(options) {
      const words = devReply(lastUserText(options)).match(/\S+\s*/g) ?? [];
      const limit = options.maxOutputTokens ?? words.length;
      const inputTokens = Math.ceil(promptChars(options) / 4);
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          controller.enqueue({ type: "text-start", id: "t0" });
          let sent = 0;
          try {
            for (const word of words.slice(0, limit)) {
              await sleep(wordDelayMs, signal);
              controller.enqueue({ type: "text-delta", id: "t0", delta: word });
              sent++;
            }
          } catch (error) {
            controller.error(error);
            return;
          }
          controller.enqueue({ type: "text-end", id: "t0" });
          controller.enqueue({
            type: "finish",
            usage: usageOf(inputTokens, sent),
            finishReason: { unified: sent < words.length ? "length" : "stop", raw: undefined },
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
  return model;
}
