// Tables of the actor runtime itself, on their own migration track (see migrations.ts).
import type { Migration } from "./migrations.ts";

export const RUNTIME_MIGRATIONS: readonly Migration[] = [
  {
    name: "scheduler",
    sql: `
      CREATE TABLE _troupe_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        task TEXT NOT NULL,
        payload TEXT NOT NULL,
        cron TEXT,
        due_at INTEGER NOT NULL,
        occurrence_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_run_at INTEGER,
        last_status TEXT,
        last_error TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX _troupe_jobs_by_due ON _troupe_jobs (due_at, id);
      CREATE TABLE _troupe_dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        task TEXT NOT NULL,
        payload TEXT NOT NULL,
        cron TEXT,
        occurrence_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        failed_at INTEGER NOT NULL
      );`,
  },
  {
    name: "outbox",
    sql: `
      CREATE TABLE _troupe_outbox (
        id TEXT PRIMARY KEY,
        binding TEXT NOT NULL,
        name TEXT NOT NULL,
        method TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE _troupe_inbox (
        id TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX _troupe_inbox_by_age ON _troupe_inbox (received_at);`,
  },
  {
    name: "idempotency",
    sql: `
      CREATE TABLE _troupe_idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX _troupe_idempotency_by_age ON _troupe_idempotency (created_at);`,
  },
];
