// A room's SQLite: the versioned state with its patch log, the chat history, presence data
// and connection tickets. Synchronous, so each change is atomic within the single-writer room.

import { clock } from "../../shared/clock.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import {
  ROOM_HISTORY_MAX_MESSAGES,
  ROOM_PATCH_LOG_MAX,
  ROOM_STATE_MAX_BYTES,
  ROOM_TICKET_TTL_SECONDS,
} from "../../shared/limits.ts";
import { applyOps, emptyRoomState } from "../../shared/room-state.ts";
import type {
  ChatMessage,
  PatchedFrame,
  PatchOp,
  PresenceEntry,
  RoomIdentity,
} from "../../shared/schemas/room.ts";
import type { Migration } from "../migrations.ts";

type PresenceRow = Omit<PresenceEntry, "connections">;

const encoder = new TextEncoder();

export class RoomStore {
  static readonly migrations: readonly Migration[] = [
    {
      name: "room",
      sql: `
        CREATE TABLE room (
          only INTEGER PRIMARY KEY CHECK (only = 1),
          version INTEGER NOT NULL,
          state TEXT NOT NULL
        );
        CREATE TABLE patches (
          version INTEGER PRIMARY KEY,
          ops TEXT NOT NULL,
          by TEXT NOT NULL
        );
        CREATE TABLE chat (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          text TEXT NOT NULL,
          at TEXT NOT NULL
        );
        CREATE TABLE presence (
          user_id TEXT PRIMARY KEY,
          name TEXT,
          anonymous INTEGER NOT NULL,
          data TEXT NOT NULL
        );
        CREATE TABLE tickets (
          ticket TEXT PRIMARY KEY,
          identity TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        );`,
    },
  ];

  private readonly sql: SqlStorage;
  private readonly storage: DurableObjectStorage;
  /** The parsed state, kept between frames so a patch does not re-read and re-parse it. */
  private current: { version: number; state: JsonObject } | null = null;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = storage.sql;
  }

  version(): number {
    return this.load().version;
  }

  /** The current state; callers must not mutate it (applyOps works on a copy). */
  state(): JsonObject {
    return this.load().state;
  }

  /**
   * Applies ops to the state as one new version, or throws and changes nothing. `tooLarge` is
   * called (and must throw) when the result would pass ROOM_STATE_MAX_BYTES.
   */
  applyPatch(ops: PatchOp[], by: string, tooLarge: (size: number) => never): number {
    const state = applyOps(this.state(), ops);
    const next = JSON.stringify(state);
    const size = encoder.encode(next).length;
    if (size > ROOM_STATE_MAX_BYTES) tooLarge(size);
    const version = this.version() + 1;
    this.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO room (only, version, state) VALUES (1, ?, ?)
         ON CONFLICT (only) DO UPDATE SET version = excluded.version, state = excluded.state`,
        version,
        next,
      );
      this.sql.exec(
        "INSERT INTO patches (version, ops, by) VALUES (?, ?, ?)",
        version,
        JSON.stringify(ops),
        by,
      );
      this.sql.exec("DELETE FROM patches WHERE version <= ?", version - ROOM_PATCH_LOG_MAX);
    });
    this.current = { version, state };
    return version;
  }

  /** The patches after `since`, or null when the log no longer reaches back that far. */
  patchesSince(since: number): PatchedFrame[] | null {
    const version = this.version();
    if (since > version) return null;
    const rows = this.sql
      .exec<{ version: number; ops: string; by: string }>(
        "SELECT * FROM patches WHERE version > ? ORDER BY version",
        since,
      )
      .toArray();
    if (rows.length !== version - since) return null; // pruned: the client needs the full state
    return rows.map((row) => ({
      type: "state.patched",
      version: row.version,
      ops: JSON.parse(row.ops),
      by: row.by,
    }));
  }

  addChat(userId: string, text: string): ChatMessage {
    const message: ChatMessage = {
      type: "chat.message",
      id: crypto.randomUUID(),
      user_id: userId,
      text,
      at: new Date(clock.now()).toISOString(),
    };
    this.storage.transactionSync(() => {
      const { seq } = this.sql
        .exec<{ seq: number }>(
          "INSERT INTO chat (id, user_id, text, at) VALUES (?, ?, ?, ?) RETURNING seq",
          message.id,
          userId,
          text,
          message.at,
        )
        .one();
      this.sql.exec("DELETE FROM chat WHERE seq <= ?", seq - ROOM_HISTORY_MAX_MESSAGES);
    });
    return message;
  }

  /** The last ROOM_HISTORY_MAX_MESSAGES chat messages, oldest first. */
  history(): ChatMessage[] {
    return this.sql
      .exec<{ id: string; user_id: string; text: string; at: string }>(
        "SELECT id, user_id, text, at FROM chat ORDER BY seq",
      )
      .toArray()
      .map((row) => ({ type: "chat.message", ...row }));
  }

  upsertPresence(user: RoomIdentity, data: Record<string, JsonValue>): void {
    this.sql.exec(
      `INSERT INTO presence (user_id, name, anonymous, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET data = excluded.data`,
      user.user_id,
      user.name,
      Number(user.anonymous),
      JSON.stringify(data),
    );
  }

  removePresence(userId: string): void {
    this.sql.exec("DELETE FROM presence WHERE user_id = ?", userId);
  }

  presenceRow(userId: string): PresenceRow | null {
    const row = this.sql
      .exec<{ user_id: string; name: string | null; anonymous: number; data: string }>(
        "SELECT * FROM presence WHERE user_id = ?",
        userId,
      )
      .toArray()[0];
    return row ? { ...row, anonymous: row.anonymous === 1, data: JSON.parse(row.data) } : null;
  }

  presenceRows(): PresenceRow[] {
    return this.sql
      .exec<{ user_id: string }>("SELECT user_id FROM presence ORDER BY user_id")
      .toArray()
      .flatMap(({ user_id }) => {
        const row = this.presenceRow(user_id);
        return row ? [row] : [];
      });
  }

  issueTicket(identity: RoomIdentity): { ticket: string; expires_at: string } {
    const now = clock.now();
    const expiresAt = now + ROOM_TICKET_TTL_SECONDS * 1000;
    const ticket = `rtk_${crypto.randomUUID().replaceAll("-", "")}`;
    this.sql.exec("DELETE FROM tickets WHERE expires_at <= ?", now);
    this.sql.exec(
      "INSERT INTO tickets (ticket, identity, expires_at) VALUES (?, ?, ?)",
      ticket,
      JSON.stringify(identity),
      expiresAt,
    );
    return { ticket, expires_at: new Date(expiresAt).toISOString() };
  }

  redeemTicket(ticket: string): RoomIdentity | null {
    const row = this.sql
      .exec<{ identity: string; expires_at: number }>(
        "DELETE FROM tickets WHERE ticket = ? RETURNING identity, expires_at",
        ticket,
      )
      .toArray()[0];
    if (!row || row.expires_at <= clock.now()) return null;
    return JSON.parse(row.identity) as RoomIdentity;
  }

  private load(): { version: number; state: JsonObject } {
    if (!this.current) {
      const row = this.sql
        .exec<{ version: number; state: string }>("SELECT version, state FROM room")
        .toArray()[0];
      this.current = row
        ? { version: row.version, state: JSON.parse(row.state) as JsonObject }
        : { version: 0, state: emptyRoomState() };
    }
    return this.current;
  }
}
