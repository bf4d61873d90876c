// Seed 000's private real-time channel: a user's tabs connect to their session's WebSocket
// (with a single-use ticket), get `{ type: "init", history }`, send `{ type: "send", text }`,
// and all receive the reply's parts as they stream and the seed's final
// `{ type: "message", role: "assistant", content }`; a clear sends `{ type: "cleared" }`.

import * as v from "valibot";
import { SESSION_INIT_HISTORY_MESSAGES } from "../../shared/limits.ts";
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

export const SendFrameSchema = v.strictObject({ type: v.literal("send"), text: MessageTextSchema });

/** The seed's history entries: the last messages of the session's chat as { role, content }. */
export function initFrame(history: readonly StoredUIMessage[]) {
  return {
    type: "init",
    history: history
      .slice(-SESSION_INIT_HISTORY_MESSAGES)
      .map((message) => ({ role: message.role, content: textOf(message) })),
  };
}
