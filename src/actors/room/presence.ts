// Presence: one entry per user, with a count of their open connections. Counts are derived from
// the live sockets, never stored, so a hibernated room cannot hold stale ones.

import type { Connection } from "partyserver";
import type { PresenceEntry, RoomIdentity } from "../../shared/schemas/room.ts";
import type { RoomStore } from "./store.ts";

export type ConnectionState = { identity: RoomIdentity };
export type RoomConnection = Connection<ConnectionState>;

export class RoomPresence {
  private readonly store: RoomStore;
  private readonly connections: () => Iterable<RoomConnection>;

  constructor(store: RoomStore, connections: () => Iterable<RoomConnection>) {
    this.store = store;
    this.connections = connections;
  }

  /** Open connections of a user, leaving out one that is closing. */
  tabsOf(userId: string, without?: string): number {
    let tabs = 0;
    for (const connection of this.connections()) {
      if (connection.id !== without && connection.state?.identity.user_id === userId) tabs++;
    }
    return tabs;
  }

  /** Everyone present: one query and one pass over the sockets, however many users there are
   * (it is sent in every welcome). */
  list(): PresenceEntry[] {
    const tabs = new Map<string, number>();
    for (const connection of this.connections()) {
      const userId = connection.state?.identity.user_id;
      if (userId !== undefined) tabs.set(userId, (tabs.get(userId) ?? 0) + 1);
    }
    return this.store.presenceRows().flatMap((row) => {
      const connections = tabs.get(row.user_id) ?? 0;
      return connections > 0 ? [{ ...row, connections }] : [];
    });
  }

  of(userId: string, without?: string): PresenceEntry | null {
    const row = this.store.presenceRow(userId);
    const connections = this.tabsOf(userId, without);
    return row && connections > 0 ? { ...row, connections } : null;
  }
}
