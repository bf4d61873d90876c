// The creation's secret keys as its wallet knows them, so a spend with a secret key is one
// actor hop, like a spend with the `rct_` token (token-version.ts): learned from the creation's
// actor on a key's first use here; revoked by the creation before a revocation or roll answers.
// A key's end only ever moves earlier, so a stale answer or a late push cannot revive a key.

import { ApiError } from "../../shared/errors.ts";
import type { KeyState } from "../creation-credentials.ts";
import { actorByName } from "../refusal.ts";

export class CreationKeys {
  /** Read-through copy of the rows: a key is read on every call that uses it. */
  private readonly cached = new Map<string, KeyState>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {}

  known(keyId: string): KeyState | null {
    const hit = this.cached.get(keyId);
    if (hit) return hit;
    const row = this.sql
      .exec<KeyState>(
        "SELECT hash, expires_at, revoke_at FROM creation_keys WHERE key_id = ?",
        keyId,
      )
      .toArray()[0];
    if (!row) return null;
    const state = { hash: row.hash, expires_at: row.expires_at, revoke_at: row.revoke_at };
    this.cached.set(keyId, state);
    return state;
  }

  /** Makes sure a key of `creationId` is known before it is checked; asks the creation once. */
  async learn(creationId: string, keyId: string): Promise<void> {
    if (this.known(keyId)) return;
    const state = await actorByName(this.env.CREATION, creationId).keyState(keyId);
    if (!state)
      throw new ApiError("INVALID_API_KEY", "The API key is not one this creation issued.");
    this.record(keyId, state);
  }

  /** Stores what the creation says of a key, keeping the earlier end of what is known and what
   *  is told (a revocation pushed while this wallet was learning the key is not undone). */
  record(keyId: string, state: KeyState): KeyState {
    const row = this.sql
      .exec<KeyState>(
        `INSERT INTO creation_keys (key_id, hash, expires_at, revoke_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key_id) DO UPDATE SET revoke_at = CASE
           WHEN revoke_at IS NULL THEN excluded.revoke_at
           WHEN excluded.revoke_at IS NULL THEN revoke_at
           ELSE min(revoke_at, excluded.revoke_at) END
         RETURNING hash, expires_at, revoke_at`,
        keyId,
        state.hash,
        state.expires_at,
        state.revoke_at,
      )
      .one();
    const stored = { hash: row.hash, expires_at: row.expires_at, revoke_at: row.revoke_at };
    this.cached.set(keyId, stored);
    return stored;
  }
}
