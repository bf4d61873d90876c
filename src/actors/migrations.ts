// Ordered SQLite schema migrations for actors. A migration's version is its position in the
// list (1-based); applied versions are recorded with their names, so a list that was edited
// or reordered after deployment is caught instead of silently skipping a change.

export interface Migration {
  /** A short, stable name; it must never change once deployed. */
  readonly name: string;
  /** One or more SQL statements, run in one transaction with the version record. */
  readonly sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  applied_at: number;
}

const MIGRATIONS_TABLE = "_troupe_migrations";

export function appliedMigrations(storage: DurableObjectStorage): AppliedMigration[] {
  return storage.sql
    .exec<{ version: number; name: string; applied_at: number }>(
      `SELECT version, name, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY version`,
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
): number[] {
  storage.sql.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
  );
  const applied = appliedMigrations(storage);
  if (applied.length > migrations.length) {
    throw new Error(
      `Storage is at schema version ${applied.length} but the code knows only ${migrations.length} migrations; never delete a deployed migration.`,
    );
  }
  for (const record of applied) {
    const expected = migrations[record.version - 1]?.name;
    if (expected !== record.name) {
      throw new Error(
        `Migration ${record.version} was applied as "${record.name}" but is now "${expected}"; append new migrations instead of editing old ones.`,
      );
    }
  }
  const appliedNow: number[] = [];
  for (let version = applied.length + 1; version <= migrations.length; version++) {
    const migration = migrations[version - 1] as Migration;
    storage.transactionSync(() => {
      storage.sql.exec(migration.sql);
      storage.sql.exec(
        `INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`,
        version,
        migration.name,
        Date.now(),
      );
    });
    appliedNow.push(version);
  }
  return appliedNow;
}
