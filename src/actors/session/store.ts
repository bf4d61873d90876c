// The session's SQLite: chats, their messages, generations and the chunks each streamed. All
// synchronous, so a caller that does not await in between changes it atomically.

import type { TokenUsage } from "../../ai/pricing.ts";
import { ApiError } from "../../shared/errors.ts";
import { CHAT_HISTORY_MAX_MESSAGES, CHATS_PER_SESSION_MAX } from "../../shared/limits.ts";
import type { StoredUIMessage } from "../../shared/schemas/chat.ts";
import type { ChatRow, GenerationRow, GenerationStatus, MessageRow } from "./schema.ts";
import type { StoredEvent, UIChunk } from "./stream.ts";

const toMessage = (row: MessageRow): StoredUIMessage => ({
  id: row.id,
  role: row.role,
  parts: JSON.parse(row.parts),
  ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) }),
});

/** Chats of seed 000's stateless stream: no client chat id can start with it (ChatIdSchema),
 *  and they are deleted when their one reply ends. */
export const EPHEMERAL_CHAT_PREFIX = "~once-";

export class SessionStore {
  constructor(private readonly sql: SqlStorage) {}

  chat(chatId: string): ChatRow | null {
    return this.sql.exec<ChatRow>("SELECT * FROM chats WHERE id = ?", chatId).toArray()[0] ?? null;
  }

  chats(): ChatRow[] {
    return this.sql
      .exec<ChatRow>(
        "SELECT * FROM chats WHERE substr(id, 1, ?) != ? ORDER BY updated_at DESC, id",
        EPHEMERAL_CHAT_PREFIX.length,
        EPHEMERAL_CHAT_PREFIX,
      )
      .toArray();
  }

  /** Refuses a new chat past CHATS_PER_SESSION_MAX. */
  requireRoomFor(chatId: string): void {
    if (this.chat(chatId)) return;
    // A chat whose first reply is still placing its hold has no row yet: it counts too.
    const { n } = this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM
           (SELECT id FROM chats UNION SELECT chat_id FROM generations WHERE ended_at IS NULL)`,
      )
      .one();
    if (n >= CHATS_PER_SESSION_MAX) {
      throw new ApiError(
        "CHAT_LIMIT_REACHED",
        `A user keeps at most ${CHATS_PER_SESSION_MAX} chats in a creation; delete one first.`,
        { limit: CHATS_PER_SESSION_MAX },
      );
    }
  }

  touchChat(chatId: string, title: string | null, now: number): void {
    this.sql.exec(
      `INSERT INTO chats (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
         title = coalesce(chats.title, excluded.title)`,
      chatId,
      title,
      now,
      now,
    );
  }

  deleteChat(chatId: string): void {
    this.sql.exec("DELETE FROM messages WHERE chat_id = ?", chatId);
    this.sql.exec(
      "DELETE FROM events WHERE generation_id IN (SELECT id FROM generations WHERE chat_id = ?)",
      chatId,
    );
    this.sql.exec("DELETE FROM generations WHERE chat_id = ?", chatId);
    this.sql.exec("DELETE FROM chats WHERE id = ?", chatId);
  }

  /** Every stored message of a chat, oldest first. */
  history(chatId: string): StoredUIMessage[] {
    return this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE chat_id = ? ORDER BY seq", chatId)
      .toArray()
      .map(toMessage);
  }

  /** The newest `limit` messages older than `before` (or the newest), oldest first. */
  page(chatId: string, limit: number, before: string | undefined) {
    const beforeSeq =
      before === undefined
        ? null
        : (this.sql
            .exec<{ seq: number }>(
              "SELECT seq FROM messages WHERE chat_id = ? AND id = ?",
              chatId,
              before,
            )
            .toArray()[0]?.seq ?? -1);
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT * FROM messages WHERE chat_id = ? AND (? IS NULL OR seq < ?)
         ORDER BY seq DESC LIMIT ?`,
        chatId,
        beforeSeq,
        beforeSeq,
        limit + 1,
      )
      .toArray();
    const more = rows.length > limit;
    const kept = rows.slice(0, limit).reverse();
    return { messages: kept.map(toMessage), nextBefore: more ? (kept[0]?.id ?? null) : null };
  }

  message(chatId: string, id: string): StoredUIMessage | null {
    const row = this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE chat_id = ? AND id = ?", chatId, id)
      .toArray()[0];
    return row ? toMessage(row) : null;
  }

  /** Adds a message (or replaces one with the same id) and drops the chat's oldest past
   *  CHAT_HISTORY_MAX_MESSAGES. */
  putMessage(chatId: string, message: StoredUIMessage, now: number): void {
    this.sql.exec(
      `INSERT INTO messages (chat_id, id, role, parts, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (chat_id, id) DO UPDATE SET parts = excluded.parts, metadata = excluded.metadata`,
      chatId,
      message.id,
      message.role,
      JSON.stringify(message.parts),
      message.metadata === undefined ? null : JSON.stringify(message.metadata),
      now,
    );
    this.sql.exec(
      `DELETE FROM messages WHERE chat_id = ? AND seq NOT IN
         (SELECT seq FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT ?)`,
      chatId,
      chatId,
      CHAT_HISTORY_MAX_MESSAGES,
    );
  }

  /** The history up to and with the chat's last user message (what a regenerated reply answers). */
  historyToLastUserMessage(chatId: string): StoredUIMessage[] {
    const history = this.history(chatId);
    const last = history.findLastIndex((message) => message.role === "user");
    return history.slice(0, last + 1);
  }

  /** Drops the messages after the chat's last user message (a regenerated reply replaces them). */
  dropAfterLastUserMessage(chatId: string): void {
    this.sql.exec(
      `DELETE FROM messages WHERE chat_id = ? AND seq > coalesce(
         (SELECT max(seq) FROM messages WHERE chat_id = ? AND role = 'user'), 0)`,
      chatId,
      chatId,
    );
  }

  clearAll(): void {
    this.sql.exec("DELETE FROM messages");
    this.sql.exec("DELETE FROM events");
    this.sql.exec("DELETE FROM generations WHERE ended_at IS NOT NULL");
    this.sql.exec("DELETE FROM chats WHERE id NOT IN (SELECT chat_id FROM generations)");
  }

  generation(id: string): GenerationRow | null {
    return (
      this.sql.exec<GenerationRow>("SELECT * FROM generations WHERE id = ?", id).toArray()[0] ??
      null
    );
  }

  /** Claims a chat for a new generation (`holding` until its hold is placed). The unique
   *  index refuses a second claim of the same chat. */
  claimGeneration(row: {
    id: string;
    chatId: string;
    messageId: string;
    model: string;
    ownKey: boolean;
    payer: string;
    now: number;
  }): void {
    this.sql.exec(
      `INSERT INTO generations (id, chat_id, message_id, status, model, own_key, payer, started_at)
       VALUES (?, ?, ?, 'holding', ?, ?, ?, ?)`,
      row.id,
      row.chatId,
      row.messageId,
      row.model,
      Number(row.ownKey),
      row.payer,
      row.now,
    );
  }

  /** Forgets a claim whose hold was never placed. */
  dropClaim(id: string): void {
    this.sql.exec("DELETE FROM generations WHERE id = ? AND status = 'holding'", id);
  }

  markStreaming(id: string, holdId: string | null, holdAmount: number): void {
    this.sql.exec(
      "UPDATE generations SET status = 'streaming', hold_id = ?, hold_amount = ? WHERE id = ?",
      holdId,
      holdAmount,
      id,
    );
  }

  recordCharge(id: string, usage: TokenUsage, charged: number): void {
    this.sql.exec(
      `UPDATE generations SET input_tokens = ?, output_tokens = ?, estimated = ?, charged = ?
       WHERE id = ?`,
      usage.input_tokens,
      usage.output_tokens,
      Number(usage.estimated),
      charged,
      id,
    );
  }

  markSettled(id: string): void {
    this.sql.exec("UPDATE generations SET settled = 1 WHERE id = ?", id);
  }

  markEnded(id: string, status: GenerationStatus, now: number): void {
    this.sql.exec("UPDATE generations SET status = ?, ended_at = ? WHERE id = ?", status, now, id);
  }

  /** The chat's generation still in progress, if any. */
  activeGeneration(chatId: string): GenerationRow | null {
    return (
      this.sql
        .exec<GenerationRow>(
          "SELECT * FROM generations WHERE chat_id = ? AND ended_at IS NULL",
          chatId,
        )
        .toArray()[0] ?? null
    );
  }

  inProgress(): GenerationRow[] {
    return this.sql
      .exec<GenerationRow>("SELECT * FROM generations WHERE ended_at IS NULL")
      .toArray();
  }

  events(generationId: string, after = 0): StoredEvent[] {
    return this.sql
      .exec<{ seq: number; chunk: string }>(
        "SELECT seq, chunk FROM events WHERE generation_id = ? AND seq > ? ORDER BY seq",
        generationId,
        after,
      )
      .toArray()
      .map((row) => ({ seq: row.seq, chunk: JSON.parse(row.chunk) as UIChunk }));
  }

  appendEvent(generationId: string, seq: number, chunk: UIChunk): void {
    this.sql.exec(
      "INSERT INTO events (generation_id, seq, chunk) VALUES (?, ?, ?)",
      generationId,
      seq,
      JSON.stringify(chunk),
    );
  }

  lastSeq(generationId: string): number {
    return (
      this.sql
        .exec<{ seq: number | null }>(
          "SELECT max(seq) AS seq FROM events WHERE generation_id = ?",
          generationId,
        )
        .one().seq ?? 0
    );
  }
}
