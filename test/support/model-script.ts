// What the local model server (model-server.ts) can be told to do, and what it records: the
// one description both the server and the tests that script it use (no Node imports, so the
// workerd tests can import it too).

export interface ModelScript {
  /** The reply, split into word chunks (each word keeps its following whitespace). */
  text?: string;
  /** The exact text deltas, in order; wins over `text`. */
  chunks?: string[];
  /** Usage to report; absent → estimated; null → never reported. */
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  /** Pause between two chunks. */
  chunkDelayMs?: number;
  /** After this many chunks, send nothing until released or the client goes away. */
  stallAfterChunks?: number;
  /** After this many chunks, destroy the socket (a mid-stream failure). */
  failAfterChunks?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead of a completion. */
  status?: number;
  errorMessage?: string;
}

export interface RecordedModelRequest {
  body: unknown;
  authorization: string | null;
  /** Content chunks sent so far (for a non-streaming reply: chunks generated so far). */
  chunksSent: number;
  /** The client closed the connection before the reply ended. */
  aborted: boolean;
  /** The reply ended normally (a scripted error status counts: it was sent whole). */
  completed: boolean;
  startedAt: number;
}
