import type { Migration } from "../migrations.ts";

export const SESSION_MIGRATIONS: readonly Migration[] = [
  {
    name: "session_chats_and_generations",
    sql: `
      CREATE TABLE session (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        creation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        model TEXT,
        temperature REAL
      );
      CREATE TABLE chats (
        id TEXT PRIMARY KEY,
        title TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id TEXT NOT NULL,
        id TEXT NOT NULL,
        role TEXT NOT NULL,
        parts TEXT NOT NULL,
        metadata TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (chat_id, id)
      );
      CREATE INDEX messages_by_chat ON messages (chat_id, seq);
      CREATE TABLE generations (
        id TEXT PRIMARY KEY,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL,
        model TEXT NOT NULL,
        own_key INTEGER NOT NULL,
        hold_id TEXT,
        hold_amount INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        estimated INTEGER,
        charged INTEGER,
        settled INTEGER NOT NULL DEFAULT 0,
        started_at INTEGER NOT NULL,
        ended_at INTEGER
      );
      -- One generation at a time per chat: a second is refused by the index, not by luck.
      CREATE UNIQUE INDEX one_generation_per_chat ON generations (chat_id) WHERE ended_at IS NULL;
      CREATE TABLE events (
        generation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        chunk TEXT NOT NULL,
        PRIMARY KEY (generation_id, seq)
      );`,
  },
  {
    // The wallet account that holds and pays (the creation's or the user's: AiSettings.payer).
    name: "generation_payer",
    sql: "ALTER TABLE generations ADD COLUMN payer TEXT;",
  },
  {
    // Single-use tickets for the session's WebSocket (seed 000's private real-time channel).
    name: "session_tickets",
    sql: `
      CREATE TABLE tickets (
        ticket TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );`,
  },
];

export type ChatRow = { id: string; title: string | null; created_at: number; updated_at: number };

export type MessageRow = {
  seq: number;
  chat_id: string;
  id: string;
  role: "user" | "assistant" | "system";
  parts: string;
  metadata: string | null;
  created_at: number;
};

export type GenerationStatus = "holding" | "streaming" | "finished" | "stopped" | "failed";

export type GenerationRow = {
  id: string;
  chat_id: string;
  message_id: string;
  status: GenerationStatus;
  model: string;
  own_key: number;
  /** The paying wallet account; null on rows from before payers could differ (the creation). */
  payer: string | null;
  hold_id: string | null;
  hold_amount: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  estimated: number | null;
  charged: number | null;
  settled: number;
  started_at: number;
  ended_at: number | null;
};
