// The D1 projection of creations: written by each CreationDO, read for listings, repaired by
// the reconcile-creations job. The actor is the source of truth; this table only answers
// queries across actors ("my creations").

import * as v from "valibot";
import { invalidField } from "../shared/errors.ts";

export interface CreationProjection {
  id: string;
  owner: string;
  name: string | null;
  created_at: string;
  updated_at: string;
  /** Increases with every change of a projected field. */
  revision: number;
}

export type CreationListItem = Omit<CreationProjection, "revision">;

const UPSERT = `
  INSERT INTO creations (id, owner, name, created_at, updated_at, revision) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, name = excluded.name,
    updated_at = excluded.updated_at, revision = excluded.revision`;

/** Versioned upsert: a late write of an older revision never overwrites a newer one. */
export async function writeCreationProjection(
  db: D1Database,
  row: CreationProjection,
): Promise<void> {
  await db
    .prepare(`${UPSERT} WHERE excluded.revision > creations.revision`)
    .bind(row.id, row.owner, row.name, row.created_at, row.updated_at, row.revision)
    .run();
}

/** Overwrites whatever the table holds with the actor's answer (used by reconciliation). */
export async function replaceCreationProjection(
  db: D1Database,
  row: CreationProjection,
): Promise<void> {
  await db
    .prepare(UPSERT)
    .bind(row.id, row.owner, row.name, row.created_at, row.updated_at, row.revision)
    .run();
}

export async function deleteCreationProjection(db: D1Database, id: string): Promise<void> {
  await db.prepare("DELETE FROM creations WHERE id = ?").bind(id).run();
}

export async function projectedCreationsAfter(db: D1Database, afterId: string, limit: number) {
  const { results } = await db
    .prepare("SELECT id AS key, revision FROM creations WHERE id > ? ORDER BY id LIMIT ?")
    .bind(afterId, limit)
    .all<{ key: string; revision: number }>();
  return results;
}

// Page cursors are opaque to clients: base64url of [created_at, id] of the last item.
const CursorSchema = v.tuple([v.string(), v.string()]);

function encodeCursor(item: CreationListItem): string {
  return btoa(JSON.stringify([item.created_at, item.id])).replace(/=+$/, "");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    return v.parse(CursorSchema, JSON.parse(atob(cursor)));
  } catch {
    throw invalidField("query", "cursor", "is not a cursor this API returned");
  }
}

/** One page of an owner's creations, newest first. */
export async function listCreationsByOwner(
  db: D1Database,
  owner: string,
  limit: number,
  cursor?: string,
): Promise<{ creations: CreationListItem[]; next_cursor: string | null }> {
  const [createdAt, id] = cursor ? decodeCursor(cursor) : [null, null];
  const { results } = await db
    .prepare(
      `SELECT id, owner, name, created_at, updated_at FROM creations
       WHERE owner = ?1 AND (?2 IS NULL OR created_at < ?2 OR (created_at = ?2 AND id < ?3))
       ORDER BY created_at DESC, id DESC LIMIT ?4`,
    )
    .bind(owner, createdAt, id, limit + 1)
    .all<CreationListItem>();
  const page = results.slice(0, limit);
  const more = results.length > limit;
  return {
    creations: page,
    next_cursor: more ? encodeCursor(page[page.length - 1] as CreationListItem) : null,
  };
}
