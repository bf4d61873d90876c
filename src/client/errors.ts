// What the client SDK reports: one error type with a stable code, for the room's refusals, for
// answers it got over HTTP (the ticket request) and for what it decided itself.

import { type ErrorCode, isErrorCode } from "../shared/errors.ts";
import { ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS } from "../shared/limits.ts";
import type { RoomErrorCode } from "../shared/schemas/room.ts";

/** Codes the SDK itself gives. */
export type ClientErrorCode =
  /** The room sent a frame that does not match the protocol; it was not applied. */
  | "INVALID_SERVER_FRAME"
  /** ROOM_CLIENT_QUEUE_MAX frames are waiting for the connection or for their ack. */
  | "QUEUE_FULL"
  /** The client was closed (close()) before the room answered. */
  | "CLOSED"
  /** The ticket request failed without a problem the SDK could read (network, 5xx). */
  | "TICKET_FAILED";

/** The room's frame codes, the API's problem codes (ticket requests), and the SDK's own. */
export type RoomClientErrorCode = RoomErrorCode | ErrorCode | ClientErrorCode;

export class RoomError extends Error {
  readonly code: RoomClientErrorCode;
  /** The HTTP status, when the error came from an HTTP answer (the ticket request). */
  readonly status: number | undefined;
  /** The patch the room refused, when it was one. */
  readonly id: string | undefined;

  constructor(
    code: RoomClientErrorCode,
    message: string,
    details: { status?: number; id?: string } = {},
  ) {
    super(message);
    this.name = "RoomError";
    this.code = code;
    this.status = details.status;
    this.id = details.id;
  }

  /** The credentials were refused (401 or 403): the client waits for new ones instead of
   * retrying (setCredentials(), or reconnect() once a fresh token is in place). */
  get needsCredentials(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Any failure of a ticket request as a RoomError (a getTicket may throw anything). */
export function asRoomError(error: unknown): RoomError {
  if (error instanceof RoomError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RoomError("TICKET_FAILED", `The ticket request failed: ${message}`);
}

/** A failed HTTP answer as a RoomError, trusting its problem+json body only as far as it checks. */
export async function problemError(response: Response): Promise<RoomError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: judged by the status alone
  }
  const problem =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = isErrorCode(problem.code) ? problem.code : fallbackCode(response.status);
  const detail =
    typeof problem.detail === "string"
      ? problem.detail.slice(0, ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS)
      : `The ticket request failed with HTTP ${response.status}.`;
  return new RoomError(code, detail, { status: response.status });
}

function fallbackCode(status: number): RoomClientErrorCode {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "FORBIDDEN";
  return "TICKET_FAILED";
}
