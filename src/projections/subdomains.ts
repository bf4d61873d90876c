// The D1 projection of subdomains: written by each SubdomainDO, read for registry.json and
// admin listings, repaired by the reconcile-subdomains job. Never read to decide a claim.

import type { Collaborator } from "../shared/schemas/subdomain.ts";

export interface SubdomainProjection {
  name: string;
  owner_id: string | null;
  status: "active" | "frozen" | null;
  frozen_at: string | null;
  claimed_at: string | null;
  reserved: number | null;
  preallocated_to: string | null;
  collaborators: Collaborator[];
  /** Increases with every change of the name's record. */
  revision: number;
}

const UPSERT = `
  INSERT INTO subdomains (name, owner_id, status, frozen_at, claimed_at, reserved, preallocated_to,
    collaborators, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET owner_id = excluded.owner_id, status = excluded.status,
    frozen_at = excluded.frozen_at, claimed_at = excluded.claimed_at, reserved = excluded.reserved,
    preallocated_to = excluded.preallocated_to, collaborators = excluded.collaborators,
    revision = excluded.revision`;

function bind(db: D1Database, sql: string, row: SubdomainProjection) {
  return db
    .prepare(sql)
    .bind(
      row.name,
      row.owner_id,
      row.status,
      row.frozen_at,
      row.claimed_at,
      row.reserved,
      row.preallocated_to,
      JSON.stringify(row.collaborators),
      row.revision,
    );
}

/** Versioned upsert: a late write of an older revision never overwrites a newer one. */
export async function writeSubdomainProjection(db: D1Database, row: SubdomainProjection) {
  await bind(db, `${UPSERT} WHERE excluded.revision > subdomains.revision`, row).run();
}

/** Overwrites whatever the table holds with the actor's answer (used by reconciliation). */
export async function replaceSubdomainProjection(db: D1Database, row: SubdomainProjection) {
  await bind(db, UPSERT, row).run();
}

export async function deleteSubdomainProjection(db: D1Database, name: string) {
  await db.prepare("DELETE FROM subdomains WHERE name = ?").bind(name).run();
}

export async function projectedSubdomainsAfter(db: D1Database, after: string, limit: number) {
  const { results } = await db
    .prepare("SELECT name AS key, revision FROM subdomains WHERE name > ? ORDER BY name LIMIT ?")
    .bind(after, limit)
    .all<{ key: string; revision: number }>();
  return results;
}

type Row = Omit<SubdomainProjection, "collaborators"> & { collaborators: string };

/** Claimed names after `after`, by name: registry.json and admin search page through this. */
export async function listClaimedSubdomains(
  db: D1Database,
  options: { after: string; limit: number; owner?: string; prefix?: string },
): Promise<SubdomainProjection[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM subdomains WHERE owner_id IS NOT NULL AND name > ?1
         AND (?2 IS NULL OR owner_id = ?2) AND (?3 IS NULL OR name >= ?3 AND name < ?3 || '~')
       ORDER BY name LIMIT ?4`,
    )
    .bind(options.after, options.owner ?? null, options.prefix ?? null, options.limit)
    .all<Row>();
  return results.map((row) => ({ ...row, collaborators: JSON.parse(row.collaborators) }));
}

/** Names an admin reserved, un-reserved or preallocated. */
export async function listReservations(db: D1Database) {
  const { results } = await db
    .prepare(
      `SELECT name, reserved, preallocated_to FROM subdomains
       WHERE reserved IS NOT NULL OR preallocated_to IS NOT NULL ORDER BY name`,
    )
    .all<{ name: string; reserved: number | null; preallocated_to: string | null }>();
  return results;
}
