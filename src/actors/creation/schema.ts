import * as v from "valibot";
import { CreateCreationSchema, CreationIdSchema } from "../../shared/schemas/creation.ts";
import type { Migration } from "../migrations.ts";
import { SECRETS_MIGRATION } from "../secrets/vault.ts";
import { CATALOG_MIGRATION } from "./catalog.ts";
import { METERING_MIGRATION } from "./metering/schema.ts";

export const CREATION_MIGRATIONS: readonly Migration[] = [
  {
    name: "creation_and_schedules",
    sql: `
      CREATE TABLE creation (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT,
        allow_anonymous INTEGER NOT NULL DEFAULT 0,
        webhook_url TEXT,
        webhook_secret TEXT NOT NULL,
        token_version INTEGER NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        cron TEXT,
        at INTEGER,
        target TEXT NOT NULL,
        payload TEXT NOT NULL,
        last_run_at INTEGER,
        last_status TEXT,
        last_error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        runs INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );`,
  },
  {
    // The request a creation was made with under an Idempotency-Key (canonical JSON), so a
    // retry is recognised and a reuse of the key for another request refused.
    name: "idempotent_create",
    sql: "ALTER TABLE creation ADD COLUMN created_with TEXT;",
  },
  {
    // The creation's API keys (api-keys.ts): hash and visible start only, never the key.
    name: "api_keys",
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
        mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
        name TEXT NOT NULL,
        hash TEXT NOT NULL,
        start TEXT NOT NULL,
        scopes TEXT,
        allowed_origins TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        expires_at INTEGER,
        revoke_at INTEGER
      );`,
  },
  SECRETS_MIGRATION,
  {
    // Who pays for the creation's AI sessions and how they answer: JSON, null for defaults.
    name: "ai_settings",
    sql: "ALTER TABLE creation ADD COLUMN ai TEXT;",
  },
  METERING_MIGRATION,
  CATALOG_MIGRATION,
];

export type CreationRow = {
  id: string;
  owner: string;
  name: string | null;
  allow_anonymous: number;
  webhook_url: string | null;
  webhook_secret: string;
  token_version: number;
  created_with: string | null;
  /** JSON AiSettings, or null for the defaults. */
  ai: string | null;
  /** JSON Tier[], or null for seed 002's defaults (metering/tiers.ts). */
  tiers: string | null;
  /** JSON string[] (catalog.ts). */
  permissions: string;
  creator_share_pct: number;
  /** Bumped by every change of the settings; orders writes to the D1 projection. */
  revision: number;
  created_at: number;
  updated_at: number;
};

export type ScheduleRow = {
  name: string;
  cron: string | null;
  at: number | null;
  target: string;
  payload: string;
  last_run_at: number | null;
  last_status: "ok" | "retrying" | "failed" | null;
  last_error: string | null;
  attempts: number;
  runs: number;
  created_at: number;
  updated_at: number;
};

/** What the router hands CreationDO.initialize (the owner is the caller, the id generated or
 *  derived from an Idempotency-Key, so a retry gets the first answer). */
export const InitializeSchema = v.object({
  id: CreationIdSchema,
  owner: v.string(),
  ...CreateCreationSchema.entries,
  idempotency_key: v.optional(v.string()),
});
