// Talking to AI sessions in tests: the AI SDK's own client (DefaultChatTransport and
// readUIMessageStream) over the test Worker, raw SSE reading, and the local model server's
// control routes (test/support/model-server.ts).

import { env } from "cloudflare:workers";
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from "ai";
import { api, ORIGIN } from "./helpers.ts";
import type {
  ModelScript,
  RecordedModelRequest as RecordedRequest,
} from "./support/model-script.ts";

export type { ModelScript };

/** What the server recorded of a request, with the body as the OpenAI-compatible provider sends it. */
export type RecordedModelRequest = Omit<RecordedRequest, "body"> & {
  body: { model: string; messages: { role: string; content: unknown }[]; max_tokens?: number };
};

const control = (path: string, init?: RequestInit) =>
  fetch(`${env.MODEL_SERVER_URL}/__control${path}`, init);

/** A fresh script key for one test, and the marker that selects it in a message. */
export async function script(behaviour: ModelScript) {
  const key = `s-${crypto.randomUUID()}`;
  const response = await control(`/scripts/${key}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(behaviour),
  });
  if (response.status !== 204)
    throw new Error(`script: ${response.status} ${await response.text()}`);
  return { key, marker: `[[${key}]]` };
}

export async function modelRequests(key: string): Promise<RecordedModelRequest[]> {
  const response = await control(`/requests/${key}`);
  return ((await response.json()) as { requests: RecordedModelRequest[] }).requests;
}

export async function release(key: string) {
  await control(`/release/${key}`, { method: "POST" });
}

export const chatPath = (creationId: string) => `/v1/creations/${creationId}/chat`;

/** A user message as useChat sends it. */
export const userMessage = (text: string, id = `m-${crypto.randomUUID().slice(0, 8)}`) => ({
  id,
  role: "user" as const,
  parts: [{ type: "text" as const, text }],
});

/** The AI SDK's client transport, fetching through the test Worker. */
export function transport(creationId: string, headers: Record<string, string>) {
  return new DefaultChatTransport({
    api: `${ORIGIN}${chatPath(creationId)}`,
    headers,
    fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
      api(
        new URL(String(input instanceof Request ? input.url : input)).pathname,
        init,
      )) as typeof fetch,
  });
}

/** Sends one message the way useChat does and reads the reply with the AI SDK's own code. */
export async function sendWithSdk(
  creationId: string,
  headers: Record<string, string>,
  chatId: string,
  text: string,
): Promise<UIMessage> {
  const stream = await transport(creationId, headers).sendMessages({
    chatId,
    messages: [userMessage(text) as UIMessage],
    trigger: "submit-message",
    messageId: undefined,
    abortSignal: undefined,
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  if (!last) throw new Error("no message");
  return last;
}

export interface SseEvent {
  id: number | null;
  data: string;
}

/** Every event of an SSE body, to the end. */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return parseSse(text);
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      let id: number | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = Number(line.slice(4));
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { id, data: data.join("\n") };
    });
}

/** The chunks of SSE events (everything but [DONE]). */
export const chunksOf = (events: SseEvent[]) =>
  events.filter((event) => event.data !== "[DONE]").map((event) => JSON.parse(event.data));

/** Reads a streaming body until `predicate` holds for the text so far; returns the reader. */
export async function readUntil(
  response: Response,
  predicate: (text: string) => boolean,
): Promise<{ text: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!predicate(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return { text, reader };
}
