// A real OpenAI-compatible model on 127.0.0.1 for the AI session tests: the Worker reaches it
// through `@ai-sdk/openai-compatible` with base URL `<url>/v1`.
//   POST /v1/chat/completions          → a chat completion, streamed (SSE) or not
//   PUT  /__control/scripts/<key>      → script the replies to requests marked `[[key]]` → 204
//   GET  /__control/requests/<key>     → { requests: [...] } received under that key, in order
//   POST /__control/release/<key>      → let every stalled reply of that key go on → 204
//   DELETE /__control/scripts/<key>    → forget the script and the records of that key → 204
// The last user message names its script with a `[[key]]` marker; without one the reply is
// "You said: <that message>" and the request is recorded under "default".
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ModelScript, RecordedModelRequest } from "./model-script.ts";

/** How a reply to requests marked `[[key]]` behaves; every field is optional. */
const BODY_BYTES_MAX = 1024 * 1024;
const RECORDED_PER_KEY_MAX = 1_000;
const KEYS_MAX = 1_000;
const KEY_LENGTH_MAX = 200;
const CHUNKS_MAX = 10_000;
const CHUNK_DELAY_MS_MAX = 60_000;
const DEFAULT_KEY = "default";
const DEFAULT_MODEL = "test-model";
const CHARACTERS_PER_TOKEN = 4;
const MARKER_SOURCE = `\\[\\[([^\\[\\]\\s]{1,${KEY_LENGTH_MAX}})\\]\\]`;
const MARKER = new RegExp(MARKER_SOURCE);
const MARKERS = new RegExp(MARKER_SOURCE, "g");

/** A request the server refuses, answered as an OpenAI-style error. */
class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, message: string, type = "invalid_request_error") {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, message: string, type: string) {
  sendJson(response, status, { error: { message, type } });
}

/** The body as JSON, read up to BODY_BYTES_MAX (the rest is drained, not kept). */
function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    request.on("end", () => {
      if (bytes > BODY_BYTES_MAX) {
        reject(new HttpError(413, `body is over ${BODY_BYTES_MAX} bytes`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "malformed JSON body"));
      }
    });
    request.on("error", reject);
    // The client went away mid-body (after "end" this is a no-op: the promise is settled).
    request.on("close", () => reject(new HttpError(400, "request closed before its body ended")));
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
}

function parseScript(value: unknown): ModelScript {
  if (!isRecord(value)) throw new HttpError(400, "a script is a JSON object");
  const { text, chunks, usage, chunkDelayMs, stallAfterChunks, failAfterChunks, status } = value;
  const ok =
    (text === undefined || typeof text === "string") &&
    (chunks === undefined ||
      (Array.isArray(chunks) &&
        chunks.length <= CHUNKS_MAX &&
        chunks.every((chunk) => typeof chunk === "string"))) &&
    (usage === undefined ||
      usage === null ||
      (isRecord(usage) && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens))) &&
    (chunkDelayMs === undefined || isCount(chunkDelayMs, CHUNK_DELAY_MS_MAX)) &&
    (stallAfterChunks === undefined || isCount(stallAfterChunks)) &&
    (failAfterChunks === undefined || isCount(failAfterChunks)) &&
    (status === undefined ||
      (typeof status === "number" && Number.isInteger(status) && status >= 400 && status <= 599)) &&
    (value.errorMessage === undefined || typeof value.errorMessage === "string");
  if (!ok) throw new HttpError(400, "malformed script");
  return value as ModelScript;
}

function decodeKey(raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "malformed key");
  }
  if (key.length > KEY_LENGTH_MAX) throw new HttpError(400, "key is too long");
  return key;
}

/** The text of a message's content: a string, or the text parts of an array. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** Each word with the whitespace after it (leading whitespace joins the first chunk). */
function wordChunks(text: string): string[] {
  return text.match(/^\s*\S+\s*|\S+\s*/g) ?? (text ? [text] : []);
}

/** Resolves after `ms`, or early once `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Writes and waits until the bytes are handed to the socket (so a later destroy keeps them),
 * or until `signal` aborts: the client is gone and the write will not complete. */
function write(response: ServerResponse, data: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
    response.write(data, () => resolve());
  });
}

export type { ModelScript, RecordedModelRequest };

export async function startModelServer(): Promise<{ url: string; close(): Promise<void> }> {
  const scripts = new Map<string, ModelScript>();
  const recorded = new Map<string, RecordedModelRequest[]>();
  const stalled = new Map<string, Set<() => void>>();
  let completionCount = 0;

  function record(key: string, entry: RecordedModelRequest) {
    const list = recorded.get(key);
    if (list) {
      if (list.length < RECORDED_PER_KEY_MAX) list.push(entry);
    } else if (recorded.size < KEYS_MAX) {
      recorded.set(key, [entry]);
    }
  }

  /** Resolves on release of `key` or once `signal` aborts. */
  function stall(key: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const waiting = stalled.get(key) ?? new Set();
      stalled.set(key, waiting);
      const done = () => {
        waiting.delete(done);
        if (waiting.size === 0 && stalled.get(key) === waiting) stalled.delete(key);
        signal.removeEventListener("abort", done);
        resolve();
      };
      waiting.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  async function complete(request: IncomingMessage, response: ServerResponse) {
    const body = await readJson(request);
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      throw new HttpError(400, "`messages` must be an array");
    }
    const messages: unknown[] = body.messages;
    const lastUser = messages.findLast((message) => isRecord(message) && message.role === "user");
    const lastUserText = isRecord(lastUser) ? contentText(lastUser.content) : "";
    const key = MARKER.exec(lastUserText)?.[1] ?? DEFAULT_KEY;
    const script = scripts.get(key) ?? {};
    const entry: RecordedModelRequest = {
      body,
      authorization: request.headers.authorization ?? null,
      chunksSent: 0,
      aborted: false,
      completed: false,
      startedAt: Date.now(),
    };
    record(key, entry);

    // The client going away before the reply ended is an abort; our own destroy is not.
    const gone = new AbortController();
    let failing = false;
    response.on("finish", () => {
      entry.completed = true;
    });
    response.on("close", () => {
      if (!response.writableFinished && !failing) entry.aborted = true;
      gone.abort();
    });

    if (script.status !== undefined) {
      const message = script.errorMessage ?? "scripted failure";
      sendError(response, script.status, message, "server_error");
      return;
    }

    const text = script.text ?? `You said: ${lastUserText.replace(MARKERS, "").trim()}`;
    const chunks = script.chunks ?? wordChunks(text);
    const promptCharacters = messages.reduce<number>(
      (sum, message) => sum + (isRecord(message) ? contentText(message.content).length : 0),
      0,
    );
    const usage =
      script.usage === null
        ? null
        : (script.usage ?? {
            prompt_tokens: Math.ceil(promptCharacters / CHARACTERS_PER_TOKEN),
            completion_tokens: chunks.length,
          });
    const usageReport = usage && {
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
    };
    const id = `chatcmpl-${++completionCount}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === "string" ? body.model : DEFAULT_MODEL;
    const streaming = body.stream === true;
    const streamOptions = body.stream_options;
    const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
    const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`;

    if (streaming) {
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
      });
      await write(
        response,
        event([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
        gone.signal,
      );
    }
    // Chunk i is preceded by the delay (not before the first), the stall, then the failure; a
    // stall or failure at chunks.length happens after the last chunk, before the end.
    for (let sent = 0; sent <= chunks.length; sent++) {
      if (sent > 0 && sent < chunks.length && script.chunkDelayMs) {
        await pause(script.chunkDelayMs, gone.signal);
      }
      if (sent === script.stallAfterChunks) await stall(key, gone.signal);
      if (gone.signal.aborted) return;
      if (sent === script.failAfterChunks) {
        failing = true;
        response.socket?.destroy();
        return;
      }
      if (sent === chunks.length) break;
      if (streaming) {
        await write(
          response,
          event([{ index: 0, delta: { content: chunks[sent] }, finish_reason: null }]),
          gone.signal,
        );
        if (gone.signal.aborted) return;
      }
      entry.chunksSent = sent + 1;
    }

    if (streaming) {
      await write(response, event([{ index: 0, delta: {}, finish_reason: "stop" }]), gone.signal);
      if (includeUsage && usageReport)
        await write(response, event([], { usage: usageReport }), gone.signal);
      if (gone.signal.aborted) return;
      response.end("data: [DONE]\n\n");
    } else {
      sendJson(response, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: chunks.join("") },
            finish_reason: "stop",
          },
        ],
        ...(usageReport ? { usage: usageReport } : {}),
      });
    }
  }

  async function control(
    method: string | undefined,
    route: string | undefined,
    key: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    if (route === "scripts" && method === "PUT") {
      const script = parseScript(await readJson(request));
      if (!scripts.has(key) && scripts.size >= KEYS_MAX) {
        throw new HttpError(400, `over ${KEYS_MAX} scripts`);
      }
      scripts.set(key, script);
    } else if (route === "scripts" && method === "DELETE") {
      scripts.delete(key);
      recorded.delete(key);
    } else if (route === "release" && method === "POST") {
      for (const release of [...(stalled.get(key) ?? [])]) release();
    } else if (route === "requests" && method === "GET") {
      sendJson(response, 200, { requests: recorded.get(key) ?? [] });
      return true;
    } else {
      return false;
    }
    response.writeHead(204).end();
    return true;
  }

  const server = createServer(async (request, response) => {
    try {
      const path = (request.url ?? "").split("?")[0] ?? "";
      if (request.method === "POST" && path === "/v1/chat/completions") {
        await complete(request, response);
        return;
      }
      const [, prefix, route, rawKey, ...rest] = path.split("/");
      if (prefix === "__control" && rawKey && rest.length === 0) {
        const key = decodeKey(rawKey);
        if (await control(request.method, route, key, request, response)) return;
      }
      sendJson(response, 404, { error: { message: "not found" } });
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
      } else if (error instanceof HttpError) {
        sendError(response, error.status, error.message, error.type);
      } else {
        sendError(response, 500, String(error), "server_error");
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Started by vitest.config.ts for the whole run: it must not keep the process alive after.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    // Stalled and slow replies hold their sockets open; end them so the run can exit.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
