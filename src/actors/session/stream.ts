// A generation as the AI SDK's UI message stream (v1) over SSE: every chunk is stored in
// order and sent to whoever listens, each as `id: <seq>` + `data: <json>`, then `data: [DONE]`.
// A reader who joins late gets the stored chunks first, compacted (one merged delta per part,
// not every stored chunk), and then the live ones, with no gap and nothing twice.

/** A UI message stream chunk (`start`, `text-delta`, `finish`…): see the AI SDK's UIMessageChunk. */
export type UIChunk = { type: string } & Record<string, unknown>;

export interface StoredEvent {
  seq: number;
  chunk: UIChunk;
}

/** Chunks a listener may fall behind by before it is dropped (it can resume with its id). */
export const LISTENER_BACKLOG_MAX_CHUNKS = 2_000;

const encoder = new TextEncoder();

export const sseEvent = (event: StoredEvent) =>
  `id: ${event.seq}\ndata: ${JSON.stringify(event.chunk)}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";

/** The headers of a UI message stream response (the AI SDK's own, plus no buffering). */
export const UI_STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-vercel-ai-ui-message-stream": "v1",
  "x-accel-buffering": "no",
} as const;

/** Seed 000's plain text stream (Pattern 7). */
export const TEXT_STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;

const DELTA_TYPES = new Set(["text-delta", "reasoning-delta"]);

/** Consecutive deltas of one part become one event carrying the id of the last. */
export function compact(events: readonly StoredEvent[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const event of events) {
    const last = out.at(-1);
    const { chunk } = event;
    if (
      last &&
      DELTA_TYPES.has(chunk.type) &&
      last.chunk.type === chunk.type &&
      last.chunk.id === chunk.id
    ) {
      out[out.length - 1] = {
        seq: event.seq,
        chunk: { ...last.chunk, delta: `${last.chunk.delta}${chunk.delta}` },
      };
    } else {
      out.push(event);
    }
  }
  return out;
}

/** The live readers of each running generation. */
export class Listeners {
  private readonly byGeneration = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();

  /** A stream that starts with `replay` and then follows the generation until it ends. */
  open(generationId: string, replay: readonly StoredEvent[]): ReadableStream<Uint8Array> {
    // The backlog is counted on the side this actor writes to: desiredSize says how far
    // behind the reader is.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
      undefined,
      new CountQueuingStrategy({ highWaterMark: LISTENER_BACKLOG_MAX_CHUNKS }),
    );
    const writer = writable.getWriter();
    for (const event of compact(replay)) this.write(generationId, writer, sseEvent(event));
    let set = this.byGeneration.get(generationId);
    if (!set) {
      set = new Set();
      this.byGeneration.set(generationId, set);
    }
    set.add(writer);
    return readable;
  }

  push(generationId: string, event: StoredEvent): void {
    const text = sseEvent(event);
    for (const writer of this.byGeneration.get(generationId) ?? []) {
      this.write(generationId, writer, text);
    }
  }

  /** Ends every reader of a generation with [DONE]. */
  end(generationId: string): void {
    for (const writer of this.byGeneration.get(generationId) ?? []) {
      writer.write(encoder.encode(SSE_DONE)).catch(() => undefined);
      writer.close().catch(() => undefined);
    }
    this.byGeneration.delete(generationId);
  }

  /** A reader that went away or fell too far behind is dropped; the generation goes on. */
  private write(
    generationId: string,
    writer: WritableStreamDefaultWriter<Uint8Array>,
    text: string,
  ) {
    if (writer.desiredSize !== null && writer.desiredSize <= 0) {
      this.drop(generationId, writer);
      return;
    }
    writer.write(encoder.encode(text)).catch(() => this.drop(generationId, writer));
  }

  private drop(generationId: string, writer: WritableStreamDefaultWriter<Uint8Array>) {
    this.byGeneration.get(generationId)?.delete(writer);
    writer
      .abort(new Error("the reader fell too far behind; resume with Last-Event-ID"))
      .catch(() => undefined);
  }
}

/**
 * Seed 000's stateless stream (Pattern 7): the UI message stream reduced to `data: {"text"}`
 * events for each text delta, `data: {"error"}` when the reply failed, then `data: [DONE]`.
 */
export function toTextEvents(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let buffer = "";
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        buffer += decoder.decode(bytes, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event
            .split("\n")
            .find((line) => line.startsWith("data: "))
            ?.slice(6);
          if (data === "[DONE]") controller.enqueue(encoder.encode(SSE_DONE));
          else if (data) {
            const chunk = JSON.parse(data) as UIChunk;
            const out =
              chunk.type === "text-delta"
                ? { text: chunk.delta }
                : chunk.type === "error"
                  ? { error: chunk.errorText }
                  : null;
            if (out) controller.enqueue(encoder.encode(`data: ${JSON.stringify(out)}\n\n`));
          }
          end = buffer.indexOf("\n\n");
        }
      },
    }),
  );
}
