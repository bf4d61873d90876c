// The browser bundle's entry (public/client/troupe.js, built by scripts/build-client.mjs).
export {
  type ConnectRoomOptions,
  connectRoom,
  RoomClient,
  RoomError,
  ticketFetcher,
} from "./room.ts";
