// A room's SQLite: the versioned state with its patch log, the ids of accepted patches, the
// chat history, presence data and connection tickets. Synchronous, so each change is atomic
// within the single-writer room.

import { clock } from "../../shared/clock.ts";
import { canonicalJson, type JsonObject, type JsonValue } from "../../shared/json.ts";
import {
  ROOM_HISTORY_MAX_MESSAGES,
  ROOM_HISTORY_TRIM_EVERY,
  ROOM_PATCH_IDS_MAX,
  ROOM_PATCH_IDS_PER_USER_MAX,
  ROOM_PATCH_LOG_MAX,
  ROOM_STATE_MAX_BYTES,
  ROOM_TICKET_TTL_SECONDS,
  ROOM_TICKETS_MAX,
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
type StoredPresence = { user_id: string; name: string | null; anonymous: number; data: string };

const presenceRowOf = (row: StoredPresence): PresenceRow => ({
  ...row,
  anonymous: row.anonymous === 1,
  data: JSON.parse(row.data),
});

/** A client's patch as the room remembers it once accepted: who sent it, under which id. */
export interface ClientPatchId {
  userId: string;
  id: string;
}

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
    {
      // Ids of accepted patches, so a patch resent after a reconnect is answered with its
      // first ack instead of being applied again; kept in SQLite because a reconnect is
      // exactly when the room may have hibernated or been evicted.
      name: "patch_ids",
      sql: `
        CREATE TABLE patch_ids (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          user_id TEXT NOT NULL,
          id TEXT NOT NULL,
          ops_digest TEXT NOT NULL,
          version INTEGER NOT NULL,
          UNIQUE (user_id, id)
        );
        CREATE INDEX patch_ids_by_user ON patch_ids (user_id, seq);`,
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
   * The version a user's patch with this id was accepted as, and whether `ops` are the same
   * ones; null when the id is not remembered (new, refused before, or forgotten).
   */
  acceptedPatch(
    patch: ClientPatchId,
    ops: PatchOp[],
  ): { version: number; sameOps: boolean } | null {
    const row = this.sql
      .exec<{ version: number; ops_digest: string }>(
        "SELECT version, ops_digest FROM patch_ids WHERE user_id = ? AND id = ?",
        patch.userId,
        patch.id,
      )
      .toArray()[0];
    return row ? { version: row.version, sameOps: row.ops_digest === opsDigest(ops) } : null;
  }

  /**
   * Applies ops to the state as one new version, or throws and changes nothing. `tooLarge` is
   * called (and must throw) when the result would pass ROOM_STATE_MAX_BYTES. A client's patch
   * id is remembered in the same transaction, so it is never applied without being recorded.
   */
  applyPatch(
    ops: PatchOp[],
    by: string,
    tooLarge: (size: number) => never,
    clientPatch?: ClientPatchId,
  ): number {
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
      if (clientPatch) this.rememberPatchId(clientPatch, ops, version);
    });
    this.current = { version, state };
    return version;
  }

  /** Keeps the user's last ROOM_PATCH_IDS_PER_USER_MAX ids and the room's last ROOM_PATCH_IDS_MAX. */
  private rememberPatchId(patch: ClientPatchId, ops: PatchOp[], version: number): void {
    const { seq } = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO patch_ids (user_id, id, ops_digest, version) VALUES (?, ?, ?, ?) RETURNING seq",
        patch.userId,
        patch.id,
        opsDigest(ops),
        version,
      )
      .one();
    this.sql.exec(
      `DELETE FROM patch_ids WHERE user_id = ? AND seq <= (
         SELECT seq FROM patch_ids WHERE user_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      patch.userId,
      patch.userId,
      ROOM_PATCH_IDS_PER_USER_MAX,
    );
    this.sql.exec("DELETE FROM patch_ids WHERE seq <= ?", seq - ROOM_PATCH_IDS_MAX);
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
    const { seq } = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO chat (id, user_id, text, at) VALUES (?, ?, ?, ?) RETURNING seq",
        message.id,
        userId,
        text,
        message.at,
      )
      .one();
    // In batches: one statement per message instead of two when everyone is talking.
    if (seq % ROOM_HISTORY_TRIM_EVERY === 0) {
      this.sql.exec("DELETE FROM chat WHERE seq <= ?", seq - ROOM_HISTORY_MAX_MESSAGES);
    }
    return message;
  }

  /** The last ROOM_HISTORY_MAX_MESSAGES chat messages, oldest first. */
  history(): ChatMessage[] {
    return this.sql
      .exec<{ id: string; user_id: string; text: string; at: string }>(
        `SELECT id, user_id, text, at FROM
           (SELECT seq, id, user_id, text, at FROM chat ORDER BY seq DESC LIMIT ?)
         ORDER BY seq`,
        ROOM_HISTORY_MAX_MESSAGES,
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
      .exec<StoredPresence>("SELECT * FROM presence WHERE user_id = ?", userId)
      .toArray()[0];
    return row ? presenceRowOf(row) : null;
  }

  /** Every user's presence data, by user id, in one query. */
  presenceRows(): PresenceRow[] {
    return this.sql
      .exec<StoredPresence>("SELECT * FROM presence ORDER BY user_id")
      .toArray()
      .map(presenceRowOf);
  }

  /** A single-use ticket for `identity`; the room keeps the last ROOM_TICKETS_MAX unexpired. */
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
    this.sql.exec(
      "DELETE FROM tickets WHERE rowid IN (SELECT rowid FROM tickets ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
      ROOM_TICKETS_MAX,
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

/**
 * A 53-bit digest (cyrb53) of a patch's ops in canonical JSON: enough to tell a resent patch from
 * an id reused for another one. Not cryptographic, and it need not be: a collision could only
 * let a client's own mislabelled patch pass for its earlier one.
 */
function opsDigest(ops: PatchOp[]): string {
  const text = canonicalJson(ops);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ char, 2654435761);
    h2 = Math.imul(h2 ^ char, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}
