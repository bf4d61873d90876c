// Tickets for browsers, which cannot send headers on a WebSocket: POST …/tickets with the
// user's bearer token (or none, for creations that allow anonymous visitors). A refused
// request becomes a RoomError carrying the problem's code and status, so the client can tell
// "sign in again" (401/403) from "try again later".

import * as v from "valibot";
import { RoomTicketAnswerSchema } from "../shared/schemas/room-api.ts";
import { asRoomError, problemError, RoomError } from "./errors.ts";

export interface TicketFetcherOptions {
  baseUrl: string;
  creationId: string;
  room: string;
  /** The user's bearer token, read for every ticket (so a renewed token is picked up); null
   * for an anonymous visitor. */
  token?: () => string | null | Promise<string | null>;
  /** A fetch for runtimes without a global one, or to route requests (tests). */
  fetch?: (request: Request) => Promise<Response>;
}

export function ticketFetcher(options: TicketFetcherOptions): () => Promise<string> {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  return async () => {
    const url = new URL(
      `/v1/rooms/${encodeURIComponent(options.creationId)}/${encodeURIComponent(options.room)}/tickets`,
      options.baseUrl,
    );
    const token = (await options.token?.()) ?? null;
    let response: Response;
    try {
      response = await send(
        new Request(url, {
          method: "POST",
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }),
      );
    } catch (error) {
      throw asRoomError(error);
    }
    if (!response.ok) throw await problemError(response);
    const answer = v.safeParse(RoomTicketAnswerSchema, await response.json().catch(() => null));
    if (!answer.success) {
      throw new RoomError("TICKET_FAILED", "The ticket answer is not { ticket }.", {
        status: response.status,
      });
    }
    return answer.output.ticket;
  };
}
