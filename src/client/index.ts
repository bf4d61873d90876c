// The browser bundle's entry (public/client/troupe.js, built by scripts/build-client.mjs).
export type { ClientErrorCode, RoomClientErrorCode } from "./errors.ts";
export { RoomError } from "./errors.ts";
export type {
  RoomErrorEvent,
  RoomEventMap,
  RoomEventType,
  RoomStatus,
  StateEvent,
  StatusEvent,
} from "./events.ts";
export {
  type ChatMessage,
  type ConnectRoomOptions,
  connectRoom,
  type PatchOp,
  type PresenceEntry,
  RoomClient,
  type RoomIdentity,
  type ServerFrame,
} from "./room.ts";
export type { Timers } from "./throttle.ts";
export { type TicketFetcherOptions, ticketFetcher } from "./tickets.ts";
