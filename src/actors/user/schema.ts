import type { Migration } from "../migrations.ts";
import { SECRETS_MIGRATION } from "../secrets/vault.ts";

export const USER_MIGRATIONS: readonly Migration[] = [
  {
    name: "profile_and_subdomain_index",
    sql: `
      CREATE TABLE profile (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        user_id TEXT NOT NULL,
        plan TEXT,
        subscription TEXT,
        billing_seq INTEGER NOT NULL DEFAULT 0,
        billing_event_at INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE owned (
        name TEXT PRIMARY KEY,
        reservation_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'owned')),
        frozen INTEGER NOT NULL DEFAULT 0,
        claimed_at INTEGER,
        reserved_at INTEGER NOT NULL
      );
      CREATE TABLE collaborating (
        name TEXT PRIMARY KEY,
        right TEXT NOT NULL,
        joined_at INTEGER NOT NULL
      );
      CREATE TABLE billing_events (
        event_id TEXT PRIMARY KEY,
        created INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );`,
  },
  {
    // Stripe events are deduplicated by the runtime's idempotency records now. An event seen
    // before this migration and redelivered after it is applied again, which sets the same
    // plan and status it set the first time: the effect does not change.
    name: "billing_events_to_runtime",
    sql: "DROP TABLE billing_events;",
  },
  SECRETS_MIGRATION,
  {
    // Whether an operator disabled the user (status.ts). `seq` numbers every change, handed
    // out before the change is pushed to the user's wallet, so no two pushes share a number.
    name: "user_status",
    sql: `
      CREATE TABLE user_status (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        disabled_at INTEGER,
        reason TEXT,
        seq INTEGER NOT NULL DEFAULT 0
      );`,
  },
];

export type ProfileRow = {
  user_id: string;
  plan: string | null;
  /** "active" while a subscription runs, "canceled" after it was deleted, null before any. */
  subscription: "active" | "canceled" | null;
  /** Bumped by every billing change; status messages to subdomains carry it for ordering. */
  billing_seq: number;
  /** `created` (unix seconds) of the newest billing event applied. */
  billing_event_at: number;
  created_at: number;
};

export type OwnedRow = {
  name: string;
  reservation_id: string;
  state: "pending" | "owned";
  frozen: number;
  claimed_at: number | null;
  reserved_at: number;
};
