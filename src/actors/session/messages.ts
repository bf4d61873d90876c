// Messages as the AI SDK's UIMessages: the assistant's is assembled from the chunks its
// generation streamed (so what is stored is exactly what readers saw), and a prompt is the
// newest messages that fit the token budget.

import { estimateTokens } from "../../ai/pricing.ts";
import type { StoredUIMessage } from "../../shared/schemas/chat.ts";
import type { StoredEvent, UIChunk } from "./stream.ts";

type Part = Record<string, unknown> & { type: string };

/** The assistant message a generation's chunks describe. Transient data parts are left out
 *  (the client does not keep them either). */
export function assembleAssistant(
  messageId: string,
  events: readonly StoredEvent[],
): StoredUIMessage {
  const parts: Part[] = [];
  const open = new Map<string, Part>();
  let metadata: unknown;
  for (const { chunk } of events) {
    switch (chunk.type) {
      case "start-step":
        parts.push({ type: "step-start" });
        break;
      case "text-start": {
        const part: Part = { type: "text", text: "", state: "streaming" };
        open.set(String(chunk.id), part);
        parts.push(part);
        break;
      }
      case "text-delta": {
        const part = open.get(String(chunk.id));
        if (part) part.text = `${part.text}${chunk.delta}`;
        break;
      }
      case "text-end": {
        const part = open.get(String(chunk.id));
        if (part) part.state = "done";
        break;
      }
      case "start":
      case "finish":
      case "message-metadata":
        if (chunk.messageMetadata !== undefined) metadata = chunk.messageMetadata;
        break;
      default:
        if (chunk.type.startsWith("data-") && chunk.transient !== true) {
          parts.push({ type: chunk.type, data: chunk.data });
        }
    }
  }
  for (const part of open.values()) if (part.state === "streaming") part.state = "done";
  return {
    id: messageId,
    role: "assistant",
    parts,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

export function textOf(message: Pick<StoredUIMessage, "parts">): string {
  return message.parts
    .filter((part) => part.type === "text")
    .map((part) => String(part.text ?? ""))
    .join("");
}

export type PromptMessage = { role: "user" | "assistant"; content: string };

/** The newest messages whose estimated tokens fit `maxTokens` (the newest always goes), oldest
 *  first, and their estimated size. */
export function promptFrom(
  history: readonly StoredUIMessage[],
  maxTokens: number,
): { messages: PromptMessage[]; tokens: number } {
  const messages: PromptMessage[] = [];
  let tokens = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i] as StoredUIMessage;
    if (message.role === "system") continue;
    const content = textOf(message);
    if (content.length === 0) continue;
    const size = estimateTokens(content);
    if (messages.length > 0 && tokens + size > maxTokens) break;
    messages.unshift({ role: message.role, content });
    tokens += size;
  }
  return { messages, tokens };
}

/** A chat's title: the start of its first message. */
export function titleOf(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

export type { UIChunk };
