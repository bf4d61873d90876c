// Seed 000's private real-time channel: a user's tabs connect to their session's WebSocket
// (with a single-use ticket), get `{ type: "init", history }`, send `{ type: "send", text }`,
// and all receive the reply's parts as they stream and the seed's final
// `{ type: "message", role: "assistant", content }`; a clear sends `{ type: "cleared" }`.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  SESSION_FRAME_MAX_BYTES,
  SESSION_INIT_HISTORY_MESSAGES,
  SESSION_TICKET_TTL_MS,
  SESSION_TICKETS_MAX,
} from "../../shared/limits.ts";
import { MessageTextSchema, type StoredUIMessage } from "../../shared/schemas/chat.ts";
import { textOf } from "./messages.ts";

export const SESSION_TICKET_PREFIX = "stk_";

/** A ticket names its user (so the router finds the session) and 128 random bits. */
export function newTicket(userId: string): string {
  const user = btoa(userId).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = [...crypto.getRandomValues(new Uint8Array(16))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
  return `${SESSION_TICKET_PREFIX}${user}.${random}`;
}

/** The user a ticket names, or null when it is not shaped like one (not proof of anything). */
export function ticketUser(ticket: string): string | null {
  const match = /^stk_([A-Za-z0-9_-]{1,400})\.[0-9a-f]{32}$/.exec(ticket);
  if (!match) return null;
  try {
    return atob((match[1] as string).replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
}

const SendFrameSchema = v.strictObject({ type: v.literal("send"), text: MessageTextSchema });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The text of a `{ "type": "send", "text" }` frame, or the ApiError that says what is wrong
 *  with it (too large, not JSON, not that shape). */
export function readSendFrame(data: string | ArrayBuffer): string {
  const bytes = typeof data === "string" ? encoder.encode(data).byteLength : data.byteLength;
  if (bytes > SESSION_FRAME_MAX_BYTES) {
    throw new ApiError("FRAME_TOO_LARGE", `A frame is at most ${SESSION_FRAME_MAX_BYTES} bytes.`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(typeof data === "string" ? data : decoder.decode(data));
  } catch {
    throw new ApiError("INVALID_FRAME", 'A frame is JSON: { "type": "send", "text" }.');
  }
  const parsed = v.safeParse(SendFrameSchema, frame);
  if (!parsed.success) {
    throw new ApiError(
      "INVALID_FRAME",
      `Send { "type": "send", "text" }: ${parsed.issues[0].message}`,
    );
  }
  return parsed.output.text;
}

/** Single-use tickets for the session's WebSocket, SESSION_TICKET_TTL_MS each, at most
 *  SESSION_TICKETS_MAX unused (the oldest is forgotten first). */
export class SessionTickets {
  constructor(private readonly sql: SqlStorage) {}

  issue(userId: string): { ticket: string; expires_at: string } {
    const now = clock.now();
    const ticket = newTicket(userId);
    this.sql.exec("DELETE FROM tickets WHERE expires_at <= ?", now);
    this.sql.exec(
      `DELETE FROM tickets WHERE ticket NOT IN
         (SELECT ticket FROM tickets ORDER BY expires_at DESC LIMIT ?)`,
      SESSION_TICKETS_MAX - 1,
    );
    this.sql.exec("INSERT INTO tickets VALUES (?, ?)", ticket, now + SESSION_TICKET_TTL_MS);
    return { ticket, expires_at: new Date(now + SESSION_TICKET_TTL_MS).toISOString() };
  }

  /** True once, for a ticket this session issued that has not expired. */
  redeem(ticket: string): boolean {
    const row = this.sql
      .exec<{ expires_at: number }>(
        "DELETE FROM tickets WHERE ticket = ? RETURNING expires_at",
        ticket,
      )
      .toArray()[0];
    return row !== undefined && row.expires_at > clock.now();
  }
}

/** The seed's history entries: the last messages of the session's chat as { role, content }. */
export function initFrame(history: readonly StoredUIMessage[]) {
  return {
    type: "init",
    history: history
      .slice(-SESSION_INIT_HISTORY_MESSAGES)
      .map((message) => ({ role: message.role, content: textOf(message) })),
  };
}
