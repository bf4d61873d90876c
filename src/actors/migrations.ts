// Ordered SQLite schema migrations for actors. A migration's version is its position in the
// list (1-based); applied versions are recorded with their names, so a list that was edited
// or reordered after deployment is caught instead of silently skipping a change. Each list is
// a track: the runtime's own tables (scheduler, outbox) and the actor's evolve independently.

import { clock } from "../shared/clock.ts";

export interface Migration {
  /** A short, stable name; it must never change once deployed. */
  readonly name: string;
  /** One or more SQL statements, run in one transaction with the version record. */
  readonly sql: string;
}

export type MigrationTrack = "runtime" | "actor";

export interface AppliedMigration {
  track: MigrationTrack;
  version: number;
  name: string;
  applied_at: number;
}

const MIGRATIONS_TABLE = "_troupe_migrations";

export function appliedMigrations(
  storage: DurableObjectStorage,
  track: MigrationTrack = "actor",
): AppliedMigration[] {
  return storage.sql
    .exec<{ track: MigrationTrack; version: number; name: string; applied_at: number }>(
      `SELECT track, version, name, applied_at FROM ${MIGRATIONS_TABLE} WHERE track = ? ORDER BY version`,
      track,
    )
    .toArray();
}

/**
 * Applies the migrations not yet recorded, each atomically with its record. Returns the
 * versions applied now (empty when the schema was already current).
 */
export function applyMigrations(
  storage: DurableObjectStorage,
  migrations: readonly Migration[],
  track: MigrationTrack = "actor",
): number[] {
  storage.sql.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       track TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
       applied_at INTEGER NOT NULL, PRIMARY KEY (track, version))`,
  );
  const applied = appliedMigrations(storage, track);
  if (applied.length > migrations.length) {
    throw new Error(
      `Storage is at ${track} schema version ${applied.length} but the code knows only ${migrations.length} migrations; never delete a deployed migration.`,
    );
  }
  for (const record of applied) {
    const expected = migrations[record.version - 1]?.name;
    if (expected !== record.name) {
      throw new Error(
        `${track} migration ${record.version} was applied as "${record.name}" but is now "${expected}"; append new migrations instead of editing old ones.`,
      );
    }
  }
  const appliedNow: number[] = [];
  for (let version = applied.length + 1; version <= migrations.length; version++) {
    const migration = migrations[version - 1] as Migration;
    storage.transactionSync(() => {
      storage.sql.exec(migration.sql);
      storage.sql.exec(
        `INSERT INTO ${MIGRATIONS_TABLE} (track, version, name, applied_at) VALUES (?, ?, ?, ?)`,
        track,
        version,
        migration.name,
        clock.now(),
      );
    });
    appliedNow.push(version);
  }
  return appliedNow;
}
