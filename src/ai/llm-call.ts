// One call to the platform's model for the LLM tools (/v1/tools/llm/*), whatever the wire shape:
// the model checked against the deployment's list, the worst case held on the creation's wallet
// (metered-call.ts), then the reply whole or as a stream, settled exactly once when it ends.

import {
  type FinishReason,
  generateText,
  type ModelMessage,
  streamText,
  type TextStreamPart,
  type ToolSet,
} from "ai";
import { ApiError } from "../shared/errors.ts";
import { LLM_TOOL_CALL_MAX_MS } from "../shared/limits.ts";
import type { LlmContent } from "../shared/schemas/llm-tools.ts";
import {
  MeteredCall,
  maxOutputTokens,
  type ReportedUsage,
  type Settlement,
} from "./metered-call.ts";
import { languageModel, platformModelConfig } from "./models.ts";
import { estimateTokens } from "./pricing.ts";

/** Sampling settings both wire shapes map onto the AI SDK's. */
export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  stopSequences?: string[];
}

export interface LlmCallRequest {
  creationId: string;
  /** What the call is, for the wallet's descriptions: "chat.completions", "messages". */
  label: string;
  model: string | undefined;
  messages: ModelMessage[];
  maxTokens: number | undefined;
  sampling: SamplingSettings;
}

export interface PreparedLlmCall {
  metered: MeteredCall;
  model: string;
  settings: Parameters<typeof generateText>[0] & Parameters<typeof streamText>[0];
}

export interface LlmReply {
  text: string;
  finishReason: FinishReason;
  settlement: Settlement;
}

/** The text of a message's content: the string, or its text parts joined. */
const contentText = (content: LlmContent, separator = ""): string =>
  typeof content === "string" ? content : content.map((part) => part.text).join(separator);

/** A message as the AI SDK takes it; system prompts are plain strings there. */
export function modelMessage(role: string, content: LlmContent): ModelMessage {
  if (role === "system" || role === "developer") {
    return { role: "system", content: contentText(content, "\n") };
  }
  const parts = typeof content === "string" ? content : content.map(({ text }) => textPart(text));
  return role === "assistant"
    ? { role: "assistant", content: parts }
    : { role: "user", content: parts };
}

const textPart = (text: string) => ({ type: "text" as const, text });

/** Checks the model and places the hold: a 400 or the wallet's 402 before any provider call. */
export async function prepareLlmCall(env: Env, request: LlmCallRequest): Promise<PreparedLlmCall> {
  const config = platformModelConfig(env);
  const model = request.model ?? config.model;
  if (!config.models.includes(model)) {
    throw new ApiError("MODEL_NOT_ALLOWED", `Choose one of: ${config.models.join(", ")}.`, {
      models: config.models,
    });
  }
  const outputTokens = maxOutputTokens(env, request.maxTokens);
  const provider = languageModel(config, model, env);
  const metered = await MeteredCall.open(env, {
    creationId: request.creationId,
    model,
    label: request.label,
    promptTokens: estimateTokens(request.messages.map(messageText).join("")),
    maxOutputTokens: outputTokens,
  });
  return {
    metered,
    model,
    settings: {
      model: provider,
      messages: request.messages,
      allowSystemInMessages: true,
      maxOutputTokens: outputTokens,
      maxRetries: 0,
      ...request.sampling,
    },
  };
}

function messageText(message: ModelMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** The whole reply; any failure is a 502 with the hold released (nothing reached the caller). */
export async function generateReply(call: PreparedLlmCall): Promise<LlmReply> {
  let result: Awaited<ReturnType<typeof generateText>>;
  try {
    result = await generateText({
      ...call.settings,
      abortSignal: AbortSignal.timeout(LLM_TOOL_CALL_MAX_MS),
    });
  } catch (error) {
    await call.metered.settle(null, "");
    throw generationFailed(error);
  }
  const { inputTokens, outputTokens } = result.totalUsage;
  const settlement = await call.metered.settle(
    { input: inputTokens, output: outputTokens },
    result.text,
  );
  return { text: result.text, finishReason: result.finishReason, settlement };
}

/** What a streamed reply yields: text as it comes, then one end (after the settlement). */
export type ReplyEvent =
  | { type: "text"; text: string }
  | { type: "end"; finishReason: FinishReason; settlement: Settlement; error: string | null };

export interface ReplyStream {
  events: AsyncGenerator<ReplyEvent>;
  /** The caller went away: stop the provider; the stream still ends and settles. */
  abort(): void;
}

/**
 * Starts the reply and waits for its first text (or its end) before answering, so a provider
 * that fails before producing anything is still a 502 with the hold released, not a stream
 * that opens and errors.
 */
export async function streamReply(call: PreparedLlmCall): Promise<ReplyStream> {
  const abort = new AbortController();
  const timeout = AbortSignal.timeout(LLM_TOOL_CALL_MAX_MS);
  let parts: Parts;
  try {
    const result = streamText({
      ...call.settings,
      abortSignal: AbortSignal.any([abort.signal, timeout]),
      // The failure is reported to the caller; the SDK's default log would print the prompt.
      onError: () => undefined,
    });
    parts = result.fullStream[Symbol.asyncIterator]();
  } catch (error) {
    await call.metered.settle(null, "");
    throw generationFailed(error);
  }
  const state: StreamState = {
    text: "",
    usage: null,
    finishReason: "stop",
    error: null,
    timeout,
  };
  const first = await nextText(parts, state);
  if (first === null && state.error !== null) {
    await call.metered.settle(null, "");
    throw new ApiError("GENERATION_FAILED", state.error);
  }
  return { events: replyEvents(call, parts, state, first), abort: () => abort.abort() };
}

interface StreamState {
  text: string;
  usage: ReportedUsage | null;
  finishReason: FinishReason;
  error: string | null;
  /** Fires when the call ran out of time: then an abort is a failure, not a caller leaving. */
  timeout: AbortSignal;
}

type Parts = AsyncIterator<TextStreamPart<ToolSet>>;

/** The next piece of text, or null at the end (recording usage, finish reason or error). */
async function nextText(parts: Parts, state: StreamState): Promise<string | null> {
  try {
    for (let step = await parts.next(); !step.done; step = await parts.next()) {
      const part = step.value;
      if (part.type === "text-delta" && part.text !== "") {
        state.text += part.text;
        return part.text;
      }
      if (part.type === "finish") {
        state.usage = { input: part.totalUsage.inputTokens, output: part.totalUsage.outputTokens };
        state.finishReason = part.finishReason;
      } else if (part.type === "abort") {
        if (state.timeout.aborted) state.error = providerFailure(state.timeout.reason);
        state.finishReason = "interrupted";
        return null;
      } else if (part.type === "error") {
        state.error = providerFailure(part.error);
        return null;
      }
    }
  } catch (error) {
    state.error = providerFailure(state.timeout.aborted ? state.timeout.reason : error);
  }
  return null;
}

async function* replyEvents(
  call: PreparedLlmCall,
  parts: Parts,
  state: StreamState,
  first: string | null,
): AsyncGenerator<ReplyEvent> {
  try {
    for (let text = first; text !== null; text = await nextText(parts, state)) {
      yield { type: "text", text };
    }
  } finally {
    // Whatever the provider still sends after an error or an abort is not read.
    parts.return?.().catch(() => undefined);
  }
  // Without reported usage (cut off, client gone) the output is estimated from the text.
  const settlement = await call.metered.settle(state.error ? null : state.usage, state.text);
  yield { type: "end", finishReason: state.finishReason, settlement, error: state.error };
}

function generationFailed(error: unknown): ApiError {
  return new ApiError("GENERATION_FAILED", providerFailure(error));
}

/** A provider's failure in words a caller may see (never a stack or a key). */
function providerFailure(error: unknown): string {
  // A stream cut off after a 200 carries that status too: only a refusal names its status.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400) return `The model provider answered ${status}.`;
  if ((error as { name?: unknown } | null)?.name === "TimeoutError") {
    return `The model did not finish within ${LLM_TOOL_CALL_MAX_MS / 1000} seconds.`;
  }
  return "The model provider failed.";
}
