// How a generation ended, and what its ending adds to the stream and the record: the usage
// (reported, or estimated from the text), the chunks that close what the reply opened, and a
// provider's failure in words a user may see.

import { estimateTokens, type TokenUsage } from "../../ai/pricing.ts";
import type { StoredUIMessage } from "../../shared/schemas/chat.ts";
import { textOf } from "./messages.ts";
import type { GenerationStatus } from "./schema.ts";
import type { UIChunk } from "./stream.ts";

export type Ending = "finished" | "stopped" | "failed" | "interrupted";

export type ReportedUsage = { input: number | undefined; output: number | undefined } | null;

/** The provider's usage when it reported both counts; otherwise estimated from the text. */
export function usageOf(
  reported: ReportedUsage,
  reply: StoredUIMessage,
  promptTokens: number,
): TokenUsage {
  if (reported && reported.input !== undefined && reported.output !== undefined) {
    return { input_tokens: reported.input, output_tokens: reported.output, estimated: false };
  }
  return {
    input_tokens: promptTokens,
    output_tokens: estimateTokens(textOf(reply)),
    estimated: true,
  };
}

/** `text-end` for each text part left open, and `finish-step` for a step left open, so a
 *  client's parts end "done" even when the reply was cut short. */
export function closingChunks(events: readonly { chunk: UIChunk }[]): UIChunk[] {
  const open = new Set<string>();
  let stepOpen = false;
  for (const { chunk } of events) {
    if (chunk.type === "text-start") open.add(String(chunk.id));
    else if (chunk.type === "text-end") open.delete(String(chunk.id));
    else if (chunk.type === "start-step") stepOpen = true;
    else if (chunk.type === "finish-step") stepOpen = false;
  }
  return [
    ...[...open].map((id) => ({ type: "text-end", id })),
    ...(stepOpen ? [{ type: "finish-step" }] : []),
  ];
}

/** A provider's failure in words a user may see (never a stack or a key). */
export function providerError(error: unknown): string {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === "number"
    ? `The model provider answered ${status}; the partial reply is kept.`
    : "The model provider failed mid-reply; the partial reply is kept.";
}

/** The status a generation's row and its final metadata record. */
export function statusOf(ending: Ending): GenerationStatus {
  return ending === "finished" ? "finished" : ending === "stopped" ? "stopped" : "failed";
}

/**
 * What a reply's stream ends with: the wallet news (transient), then `finish` with the
 * metadata, or the metadata and then `abort` (a stop) or `error` (a failure, a cut-off). The
 * metadata's `status` replaces the "streaming" a page saw in a history read mid-reply.
 */
export function lastChunks(
  ending: Ending,
  metadata: { charged: number; status: GenerationStatus } & Record<string, unknown>,
  balance: number | null,
  result: { finishReason: string | undefined; errorText: string | null },
): UIChunk[] {
  const chunks: UIChunk[] = [];
  if (balance !== null) {
    chunks.push({
      type: "data-wallet",
      data: { balance, charged: metadata.charged },
      transient: true,
    });
  }
  if (ending === "finished") {
    chunks.push({
      type: "finish",
      finishReason: result.finishReason ?? "stop",
      messageMetadata: metadata,
    });
    return chunks;
  }
  chunks.push({ type: "message-metadata", messageMetadata: metadata });
  chunks.push(
    ending === "stopped"
      ? { type: "abort", reason: "stopped" }
      : { type: "error", errorText: result.errorText ?? "The generation failed." },
  );
  return chunks;
}
