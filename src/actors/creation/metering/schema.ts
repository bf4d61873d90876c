// Tables of a creation's usage metering. Counts are per period (UTC month), so a month starts
// from zero without a reset; days and plans are kept beside them in the same transaction, so the
// summary is read, never recomputed from a log.

import type { Migration } from "../../migrations.ts";

export const METERING_MIGRATION: Migration = {
  name: "usage_metering",
  sql: `
    ALTER TABLE creation ADD COLUMN tiers TEXT;
    -- An end user's plan per mode; changed_at (ms) orders changes, so an older Stripe event
    -- arriving late never undoes a newer one.
    CREATE TABLE usage_plans (
      mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
      user_id TEXT NOT NULL,
      plan TEXT NOT NULL,
      changed_at INTEGER NOT NULL,
      stripe_subscription TEXT,
      PRIMARY KEY (mode, user_id)
    ) WITHOUT ROWID;
    -- Calls per user per period and meter; plan is the tier of the user's latest call.
    CREATE TABLE usage_counts (
      mode TEXT NOT NULL,
      period TEXT NOT NULL,
      meter TEXT NOT NULL,
      user_id TEXT NOT NULL,
      count INTEGER NOT NULL,
      plan TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (mode, period, meter, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX usage_counts_top ON usage_counts (mode, period, meter, count DESC, user_id);
    -- Calls per day, meter and the plan they were made on: the dashboard's chart.
    CREATE TABLE usage_days (
      mode TEXT NOT NULL,
      meter TEXT NOT NULL,
      day TEXT NOT NULL,
      plan TEXT NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (mode, meter, day, plan)
    ) WITHOUT ROWID;
    -- A track call's idempotency key: its request and first answer, kept for a day.
    CREATE TABLE usage_tracks (
      mode TEXT NOT NULL,
      key TEXT NOT NULL,
      request TEXT NOT NULL,
      answer TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (mode, key)
    ) WITHOUT ROWID;
    CREATE INDEX usage_tracks_age ON usage_tracks (created_at);
    -- Requests per user in the current UTC minute (one row per user, overwritten each minute).
    CREATE TABLE usage_rates (
      mode TEXT NOT NULL,
      user_id TEXT NOT NULL,
      minute INTEGER NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (mode, user_id)
    ) WITHOUT ROWID;
    -- Stripe events that changed a plan here, so a redelivery applies nothing.
    CREATE TABLE usage_stripe_events (
      id TEXT PRIMARY KEY,
      outcome TEXT NOT NULL,
      received_at INTEGER NOT NULL
    ) WITHOUT ROWID;`,
};
