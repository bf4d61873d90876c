// A creation's API keys (seed 003's project keys), kept by its actor. Only each key's SHA-256
// and its first characters are stored; the key is shown once, when it is made. A key names its
// own row (shared/api-keys.ts), so checking one is a primary-key read however many there are.

import { mintApiKey } from "../../shared/api-keys.ts";
import { ApiError } from "../../shared/errors.ts";
import { API_KEY_LAST_USED_RESOLUTION_MS, API_KEYS_PER_CREATION_MAX } from "../../shared/limits.ts";
import type {
  ApiKey,
  ApiKeyPage,
  CreateApiKey,
  CreatedApiKey,
} from "../../shared/schemas/api-key.ts";
import type { ApiKeyScope } from "../../shared/schemas/api-key-scopes.ts";
import { type KeyState, requireLiveKey } from "../creation-credentials.ts";
import { requireAllowedOrigin } from "./origins.ts";

export type ApiKeyRow = {
  id: string;
  kind: "secret" | "publishable";
  mode: "live" | "test";
  name: string;
  hash: string;
  start: string;
  /** JSON array, or null for every scope. */
  scopes: string | null;
  /** JSON array, or null for any origin. */
  allowed_origins: string | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoke_at: number | null;
};

/** The one read that checks a key: by its primary key, one row however many keys there are
 *  (test/api-keys.test.ts reads its plan and its rows read with 1,000 keys). */
export const KEY_BY_ID_SQL = "SELECT * FROM api_keys WHERE id = ?";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Whether a key still works at `now` (revocation only; expiry is shown, not hidden). */
const LIVE = "(revoke_at IS NULL OR revoke_at > ?)";

export interface ApiKeyRingHost {
  /** Ends a secret key in the creation's wallet, which checks keys itself: awaited before the
   *  end is committed here, so a failure in between refuses the key early, never late. */
  endInWallet(keyId: string, state: KeyState): Promise<unknown>;
}

export class ApiKeyRing {
  constructor(
    private readonly sql: SqlStorage,
    private readonly secret: string,
    private readonly host: ApiKeyRingHost,
  ) {}

  /** Mints a key and stores its hash. The mint awaits; the count and insert that follow do
   *  not, so concurrent creations cannot pass the limit together. */
  async create(creationId: string, spec: CreateApiKey, now: number): Promise<CreatedApiKey> {
    const expiresAt =
      spec.expires_at === undefined ? null : Math.ceil(Date.parse(spec.expires_at) / 1000) * 1000;
    const minted = await mintApiKey(this.secret, {
      kind: spec.kind,
      mode: spec.mode,
      creationId,
      scopes: spec.scopes ?? null,
      expiresAt,
    });
    this.requireRoom(now);
    this.sql.exec(
      `INSERT INTO api_keys (id, kind, mode, name, hash, start, scopes, allowed_origins,
         created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      minted.claim.keyId,
      spec.kind,
      spec.mode,
      spec.name,
      minted.claim.hash,
      minted.start,
      spec.scopes ? JSON.stringify(spec.scopes) : null,
      spec.allowed_origins ? JSON.stringify(spec.allowed_origins) : null,
      now,
      expiresAt,
    );
    return { ...toApiKey(this.require(minted.claim.keyId)), key: minted.key };
  }

  /** Keys that still work or are in a roll's grace, newest first. */
  page(limit: number, cursor: string | undefined, now: number): ApiKeyPage {
    const after = cursor === undefined ? null : this.rowid(cursor);
    if (cursor !== undefined && after === null) {
      throw new ApiError("INVALID_REQUEST", "The cursor names no key of this creation.");
    }
    const rows = this.sql
      .exec<ApiKeyRow & { rowid: number }>(
        `SELECT rowid, * FROM api_keys WHERE ${LIVE} AND (? IS NULL OR rowid < ?)
         ORDER BY rowid DESC LIMIT ?`,
        now,
        after,
        after,
        limit + 1,
      )
      .toArray();
    const more = rows.length > limit;
    const keys = rows.slice(0, limit);
    return {
      keys: keys.map(toApiKey),
      next_cursor: more ? (keys.at(-1)?.id ?? null) : null,
    };
  }

  /** The row of `keyId`, or null: one primary-key read. */
  row(keyId: string): ApiKeyRow | null {
    return this.sql.exec<ApiKeyRow>(KEY_BY_ID_SQL, keyId).toArray()[0] ?? null;
  }

  require(keyId: string): ApiKeyRow {
    const row = this.row(keyId);
    if (!row) throw new ApiError("KEY_NOT_FOUND", "This creation has no key with that id.");
    return row;
  }

  /** Ends a key now. The caller runs changes to keys one at a time (CreationDO). */
  async revoke(keyId: string, now: number): Promise<void> {
    await this.end(this.require(keyId), now);
  }

  /** A new key like `keyId` (kind, mode, name, scopes, origins, expiry); the old one works for
   *  `graceSeconds` more. A key is rolled once: rolling it again is KEY_NOT_ACTIVE. */
  async roll(
    creationId: string,
    keyId: string,
    graceSeconds: number,
    now: number,
  ): Promise<CreatedApiKey> {
    const old = this.require(keyId);
    if (old.revoke_at !== null || (old.expires_at !== null && old.expires_at <= now)) {
      throw new ApiError(
        "KEY_NOT_ACTIVE",
        "This key was already revoked, rolled or expired; create a new one.",
        { revokes_at: iso(old.revoke_at), expires_at: iso(old.expires_at) },
      );
    }
    const { scopes, allowed_origins, expires_at, kind, mode, name } = toApiKey(old);
    const created = await this.create(
      creationId,
      {
        kind,
        mode,
        name,
        ...(scopes ? { scopes } : {}),
        ...(allowed_origins ? { allowed_origins } : {}),
        ...(expires_at ? { expires_at } : {}),
      },
      now,
    );
    await this.end(old, now + graceSeconds * 1000);
    return created;
  }

  /** The row of a publishable key that still works from `origin`; records the use. */
  usePublishable(keyId: string, hash: string, origin: string | null, now: number): ApiKeyRow {
    const key = this.row(keyId);
    if (key?.kind !== "publishable") {
      throw new ApiError("INVALID_API_KEY", "The publishable key is not one this creation issued.");
    }
    requireLiveKey({ key_hash: hash }, this.state(keyId), now);
    requireAllowedOrigin(key, origin);
    this.touch(keyId, now);
    return key;
  }

  state(keyId: string): KeyState | null {
    const row = this.row(keyId);
    return row && { hash: row.hash, expires_at: row.expires_at, revoke_at: row.revoke_at };
  }

  /** Sets when a key stops working, only ever earlier: in the wallet first for a secret key
   *  (publishable keys never reach it), then here. */
  private async end(key: ApiKeyRow, at: number): Promise<void> {
    const revokeAt = Math.min(key.revoke_at ?? at, at);
    if (key.kind === "secret") {
      await this.host.endInWallet(key.id, {
        hash: key.hash,
        expires_at: key.expires_at,
        revoke_at: revokeAt,
      });
    }
    this.sql.exec("UPDATE api_keys SET revoke_at = ? WHERE id = ?", revokeAt, key.id);
  }

  /** Records a use, at most once per API_KEY_LAST_USED_RESOLUTION_MS. */
  touch(keyId: string, now: number): void {
    this.sql.exec(
      "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
      now,
      keyId,
      now - API_KEY_LAST_USED_RESOLUTION_MS,
    );
  }

  /** Refuses a new key when the creation holds API_KEYS_PER_CREATION_MAX working ones. */
  requireRoom(now: number): void {
    const { n } = this.sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM api_keys WHERE ${LIVE}`, now)
      .one();
    if (n >= API_KEYS_PER_CREATION_MAX) {
      throw new ApiError(
        "API_KEY_LIMIT_REACHED",
        `A creation may hold ${API_KEYS_PER_CREATION_MAX} keys; revoke one first.`,
        { limit: API_KEYS_PER_CREATION_MAX },
      );
    }
  }

  private rowid(keyId: string): number | null {
    return (
      this.sql
        .exec<{ rowid: number }>("SELECT rowid FROM api_keys WHERE id = ?", keyId)
        .toArray()[0]?.rowid ?? null
    );
  }
}

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    kind: row.kind,
    mode: row.mode,
    name: row.name,
    start: row.start,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as ApiKeyScope[]),
    allowed_origins:
      row.allowed_origins === null ? null : (JSON.parse(row.allowed_origins) as string[]),
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: iso(row.last_used_at),
    expires_at: iso(row.expires_at),
    revokes_at: iso(row.revoke_at),
  };
}
