import type { Migration } from "../migrations.ts";

export const SUBDOMAIN_MIGRATIONS: readonly Migration[] = [
  {
    name: "claim_and_collaborators",
    sql: `
      CREATE TABLE record (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        name TEXT NOT NULL,
        owner_id TEXT,
        status TEXT,
        frozen_at INTEGER,
        claimed_at INTEGER,
        reservation_id TEXT,
        status_seq INTEGER NOT NULL DEFAULT 0,
        reserved INTEGER,
        preallocated_to TEXT,
        revision INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE collaborators (
        email TEXT PRIMARY KEY,
        user_id TEXT,
        status TEXT NOT NULL,
        right TEXT NOT NULL,
        invited_at INTEGER NOT NULL,
        joined_at INTEGER
      );
      CREATE TABLE abandoned_reservations (
        reservation_id TEXT PRIMARY KEY,
        abandoned_at INTEGER NOT NULL
      );`,
  },
];

export type SubdomainRow = {
  name: string;
  owner_id: string | null;
  status: "active" | "frozen" | null;
  frozen_at: number | null;
  claimed_at: number | null;
  reservation_id: string | null;
  /** The owner's billing sequence of the last status applied: older messages are ignored. */
  status_seq: number;
  /** null = the RESERVED_SUBDOMAINS default; 0/1 = an admin's explicit choice. */
  reserved: number | null;
  preallocated_to: string | null;
  /** Bumped by every change; orders writes to the D1 projection. */
  revision: number;
};

export type CollaboratorRow = {
  email: string;
  user_id: string | null;
  status: "invited" | "active";
  right: "read" | "write" | "admin";
  invited_at: number;
  joined_at: number | null;
};
