// The page's calls to troupe besides the chat stream itself (which useChat makes): the chat's
// stored history, stop, the caller's chats, the creation and its wallet. Every call carries
// the tab's development sign-in token; a refusal becomes a Problem with troupe's code.

import type { UIMessage } from "ai";
import { currentToken } from "../shared/sign-in.js";

/** What `finish` (or `message-metadata`) carries for an assistant reply. */
export interface ReplyMetadata {
  /** "streaming" on a reply read from the history while it is being generated. */
  status?: "streaming" | "finished" | "stopped" | "failed";
  generation_id?: string;
  model?: string;
  charged?: number;
  usage?: { input_tokens: number; output_tokens: number; estimated: boolean };
}

/** The data parts the server streams: `data-wallet` is transient (never stored). */
export type ChatData = {
  wallet: { balance: number; charged: number };
};

export type ChatMessage = UIMessage<ReplyMetadata, ChatData>;

export interface ChatSummary {
  id: string;
  title: string | null;
  updated_at: string;
}

/** What the server accepts as a chat id (src/shared/schemas/chat.ts). */
export const CHAT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export async function authHeaders(): Promise<Record<string, string>> {
  const token = await currentToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers = await authHeaders();
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
    throw new Problem(
      response.status,
      body.code ?? `HTTP_${response.status}`,
      body.detail ?? response.statusText,
    );
  }
  return (await response.json()) as T;
}

/** "CODE: detail" for a Problem, or for the problem+json body useChat puts in its error. */
export function problemText(error: unknown): string {
  if (error instanceof Problem) return `${error.code}: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  try {
    const body = JSON.parse(message) as { code?: unknown; detail?: unknown };
    if (typeof body.code === "string") return `${body.code}: ${String(body.detail ?? "")}`;
  } catch {
    // not a problem+json body: the message is already words
  }
  return message;
}

const creationPath = (creationId: string) => `/v1/creations/${encodeURIComponent(creationId)}`;

/** The endpoint useChat posts to; it reconnects to `${chatApi}/${chatId}/stream`. */
export const chatApi = (creationId: string) => `${creationPath(creationId)}/chat`;

/** The chat's newest stored messages, the reply in progress included; none for a new chat. */
export async function loadChat(creationId: string, chatId: string): Promise<ChatMessage[]> {
  try {
    const page = await call<{ messages: ChatMessage[] }>(
      `${chatApi(creationId)}/${encodeURIComponent(chatId)}`,
    );
    return page.messages;
  } catch (error) {
    if (error instanceof Problem && error.code === "CHAT_NOT_FOUND") return [];
    throw error;
  }
}

/** Asks the server to stop the chat's reply; false when nothing was running. */
export async function stopChat(creationId: string, chatId: string): Promise<boolean> {
  const path = `${chatApi(creationId)}/${encodeURIComponent(chatId)}/stop`;
  return (await call<{ stopped: boolean }>(path, { method: "POST" })).stopped;
}

export async function listChats(creationId: string): Promise<ChatSummary[]> {
  return (await call<{ chats: ChatSummary[] }>(`${creationPath(creationId)}/chats`)).chats;
}

export async function createCreation(): Promise<string> {
  return (await call<{ id: string }>("/v1/creations", { method: "POST" })).id;
}

/** The creation's balance (its owner may read it). */
export async function walletBalance(creationId: string): Promise<number> {
  return (await call<{ balance: number }>(`${creationPath(creationId)}/wallet`)).balance;
}

/** The owner moves credits from their own wallet into the creation's. */
export async function fundCreation(creationId: string, amountCredits: number): Promise<void> {
  await call(`${creationPath(creationId)}/wallet/deposit`, {
    method: "POST",
    body: { amount: amountCredits, reference_id: `ai-chat-${crypto.randomUUID()}` },
  });
}
