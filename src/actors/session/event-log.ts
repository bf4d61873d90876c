// Appending to a generation's chunks: each gets the next sequence number (its SSE id), is
// stored before anyone sees it, then goes to the generation's readers and the session's
// sockets. The sequence and chat of each generation being written are kept while it is open.

import { GENERATION_EVENTS_MAX } from "../../shared/limits.ts";
import type { SessionStore } from "./store.ts";
import type { Listeners, UIChunk } from "./stream.ts";

export interface GenerationLogHost {
  store: SessionStore;
  listeners: Listeners;
  onChunk(chatId: string, chunk: UIChunk): void;
}

export class GenerationLog {
  private readonly open = new Map<string, { seq: number; chatId: string }>();

  constructor(private readonly host: GenerationLogHost) {}

  /** Opens a generation's log: a new one, or one an earlier instance left (after a restart). */
  begin(id: string, chatId: string): void {
    this.open.set(id, { seq: this.host.store.lastSeq(id), chatId });
  }

  /** Stores and sends a chunk; false (nothing stored) once the generation holds
   *  GENERATION_EVENTS_MAX chunks, or when its log is not open. */
  append(id: string, chunk: UIChunk): boolean {
    const state = this.open.get(id);
    if (!state || state.seq >= GENERATION_EVENTS_MAX) return false;
    state.seq += 1;
    this.host.store.appendEvent(id, state.seq, chunk);
    this.host.listeners.push(id, { seq: state.seq, chunk });
    this.host.onChunk(state.chatId, chunk);
    return true;
  }

  /** Closes the log and ends every reader's stream with [DONE]. */
  end(id: string): void {
    this.open.delete(id);
    this.host.listeners.end(id);
  }
}
