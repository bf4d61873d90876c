import type { Migration } from "../migrations.ts";
import { DEPOSITS_MIGRATION } from "./deposits.ts";
import { ENTITLEMENTS_MIGRATION } from "./entitlements.ts";
import { SALES_MIGRATION } from "./sales.ts";

// Money is integers. Buckets hold it; every movement is a posting against one bucket inside a
// transaction, and a bucket's `remaining` always equals the sum of its postings (audit()).
export const WALLET_MIGRATIONS: readonly Migration[] = [
  {
    name: "ledger",
    sql: `
      CREATE TABLE account (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE buckets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        grant_key TEXT UNIQUE,
        amount INTEGER NOT NULL CHECK (amount > 0),
        remaining INTEGER NOT NULL CHECK (remaining >= 0),
        priority INTEGER NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX buckets_burn_order ON buckets (priority, expires_at, id) WHERE remaining > 0;
      CREATE TABLE transactions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        delta INTEGER NOT NULL,
        balance_after INTEGER NOT NULL,
        type TEXT,
        description TEXT,
        reference_id TEXT,
        on_behalf_of_user_id TEXT,
        creation_id TEXT,
        authorization_id TEXT,
        hold_id TEXT,
        refund_of TEXT,
        refunded INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX transactions_by_kind_time ON transactions (kind, created_at);
      CREATE INDEX transactions_by_authorization ON transactions (authorization_id, created_at)
        WHERE authorization_id IS NOT NULL;
      CREATE TABLE postings (
        txn_seq INTEGER NOT NULL REFERENCES transactions (seq),
        bucket_id INTEGER NOT NULL REFERENCES buckets (id),
        delta INTEGER NOT NULL CHECK (delta <> 0)
      );
      CREATE INDEX postings_by_txn ON postings (txn_seq);
      CREATE INDEX postings_by_bucket ON postings (bucket_id);
      CREATE TABLE holds (
        id TEXT PRIMARY KEY,
        amount INTEGER NOT NULL,
        captured INTEGER,
        status TEXT NOT NULL,
        type TEXT,
        description TEXT,
        on_behalf_of_user_id TEXT,
        hold_txn INTEGER NOT NULL REFERENCES transactions (seq),
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        settled_at INTEGER
      );
      CREATE INDEX holds_active ON holds (status) WHERE status = 'active';
      CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idempotency_by_age ON idempotency (created_at);`,
  },
  {
    name: "budget_authorizations",
    sql: `
      CREATE TABLE authorizations (
        id TEXT PRIMARY KEY,
        creation_id TEXT NOT NULL,
        spend_limit INTEGER NOT NULL,
        period TEXT NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX authorizations_by_creation ON authorizations (creation_id);`,
  },
  {
    // Idempotency records moved to the actor runtime (_troupe_idempotency, one per actor).
    name: "idempotency_to_runtime",
    sql: `
      INSERT INTO _troupe_idempotency (key, fingerprint, status, body, created_at)
        SELECT key, fingerprint, status, body, created_at FROM idempotency;
      DROP TABLE idempotency;`,
  },
  {
    // A creation wallet checks its creation's `rct_` tokens itself (token-version.ts).
    name: "creation_token_version",
    sql: `
      CREATE TABLE creation_token (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        version INTEGER NOT NULL CHECK (version >= 1)
      );`,
  },
  {
    // A creation wallet checks its creation's secret keys itself (creation-keys.ts): a copy of
    // each key's hash and end, learned on first use, revoked by the creation before it answers.
    name: "creation_keys",
    sql: `
      CREATE TABLE creation_keys (
        key_id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        expires_at INTEGER,
        revoke_at INTEGER
      );`,
  },
  {
    // Who acted, when an agent acted for the user (seed 000's agent principals).
    name: "transaction_agent",
    sql: "ALTER TABLE transactions ADD COLUMN agent_id TEXT;",
  },
  {
    // A user's wallet refuses spends on the user's behalf while the user is disabled, from its
    // own copy of the flag, pushed by the user's actor (user-status.ts).
    name: "user_status",
    sql: `
      CREATE TABLE user_status (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
        seq INTEGER NOT NULL CHECK (seq >= 1)
      );`,
  },
  ENTITLEMENTS_MIGRATION,
  SALES_MIGRATION,
  DEPOSITS_MIGRATION,
];

export type BucketRow = {
  id: number;
  kind: "welcome" | "daily" | "bonus" | "paid";
  grant_key: string | null;
  amount: number;
  remaining: number;
  priority: number;
  expires_at: number | null;
  created_at: number;
};

export type TransactionRow = {
  seq: number;
  id: string;
  kind: string;
  amount: number;
  delta: number;
  balance_after: number;
  type: string | null;
  description: string | null;
  reference_id: string | null;
  on_behalf_of_user_id: string | null;
  creation_id: string | null;
  authorization_id: string | null;
  hold_id: string | null;
  refund_of: string | null;
  refunded: number;
  /** The agent that acted for the user, when one did. */
  agent_id: string | null;
  created_at: number;
};

export type HoldRow = {
  id: string;
  amount: number;
  captured: number | null;
  status: "active" | "captured" | "released" | "expired";
  type: string | null;
  description: string | null;
  on_behalf_of_user_id: string | null;
  hold_txn: number;
  expires_at: number;
  created_at: number;
  settled_at: number | null;
};

export type AuthorizationRow = {
  id: string;
  creation_id: string;
  spend_limit: number;
  period: "day" | "month" | "total";
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
};
