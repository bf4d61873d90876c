// The secrets vault's table, shared by UserDO (a user's secrets) and CreationDO (a creation's):
// both actors check who is calling and delegate here. Values are sealed before they are stored
// (src/shared/secret-box.ts) and are opened only by value(), which no route reaches: the one
// reader is resolveCreationSecret (./resolve.ts).

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { SECRET_VALUE_MAX_BYTES, SECRETS_PER_OWNER_MAX } from "../../shared/limits.ts";
import {
  type PutSecret,
  PutSecretSchema,
  type SecretList,
  SecretNameSchema,
  type SecretWritten,
} from "../../shared/schemas/secret.ts";
import { openSecret, type SealedSecret, sealSecret } from "../../shared/secret-box.ts";
import { iso } from "../../shared/time.ts";
import type { Migration } from "../migrations.ts";

/** Appended to USER_MIGRATIONS and CREATION_MIGRATIONS: the same table in both actors. */
export const SECRETS_MIGRATION: Migration = {
  name: "secrets_vault",
  sql: `
    CREATE TABLE secrets (
      name TEXT PRIMARY KEY,
      kid TEXT NOT NULL,
      iv BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );`,
};

export type SecretRow = {
  name: string;
  /** The id of the keyring key that sealed it (SECRETS_ENCRYPTION_KEY). */
  kid: string;
  iv: ArrayBuffer;
  ciphertext: ArrayBuffer;
  created_at: number;
  updated_at: number;
};

const encoder = new TextEncoder();

export class SecretVault {
  private readonly sql: SqlStorage;
  private readonly keyring: string | undefined;
  /** `user:<id>` or `creation:<id>`: sealed into every value as additional data. */
  private readonly owner: string;

  constructor(sql: SqlStorage, keyring: string | undefined, owner: string) {
    this.sql = sql;
    this.keyring = keyring;
    this.owner = owner;
  }

  /** Creates or replaces a secret; `created` tells which. */
  async put(name: string, input: PutSecret): Promise<SecretWritten> {
    v.parse(SecretNameSchema, name);
    const { value } = v.parse(PutSecretSchema, input);
    const bytes = encoder.encode(value).length;
    if (bytes > SECRET_VALUE_MAX_BYTES) {
      throw new ApiError(
        "SECRET_TOO_LARGE",
        `The value is ${bytes} bytes (UTF-8); a secret holds at most ${SECRET_VALUE_MAX_BYTES}.`,
        { bytes, limit_bytes: SECRET_VALUE_MAX_BYTES },
      );
    }
    const sealed = await sealSecret(this.keyring, { owner: this.owner, name }, value);
    // From here on synchronous: no other call runs between the count and the write.
    return this.store(name, sealed);
  }

  list(): SecretList {
    const rows = this.sql
      .exec<Pick<SecretRow, "name" | "updated_at">>(
        "SELECT name, updated_at FROM secrets ORDER BY name",
      )
      .toArray();
    return { secrets: rows.map((row) => ({ name: row.name, updated_at: iso(row.updated_at) })) };
  }

  delete(name: string): void {
    v.parse(SecretNameSchema, name);
    if (!this.row(name)) throw new ApiError("SECRET_NOT_FOUND", `No secret named ${name}.`);
    this.sql.exec("DELETE FROM secrets WHERE name = ?", name);
  }

  /** The plaintext, or null when there is no such secret. Internal: never behind a route. */
  async value(name: string): Promise<string | null> {
    v.parse(SecretNameSchema, name);
    const row = this.row(name);
    if (!row) return null;
    return openSecret(
      this.keyring,
      { owner: this.owner, name },
      { kid: row.kid, iv: new Uint8Array(row.iv), ciphertext: new Uint8Array(row.ciphertext) },
    );
  }

  private store(name: string, sealed: SealedSecret): SecretWritten {
    const existing = this.row(name) !== null;
    if (!existing && this.count() >= SECRETS_PER_OWNER_MAX) {
      throw new ApiError(
        "SECRET_LIMIT_REACHED",
        `An owner may hold ${SECRETS_PER_OWNER_MAX} secrets; delete one or replace an existing name.`,
        { limit: SECRETS_PER_OWNER_MAX },
      );
    }
    const now = clock.now();
    this.sql.exec(
      `INSERT INTO secrets (name, kid, iv, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kid = excluded.kid, iv = excluded.iv,
         ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
      name,
      sealed.kid,
      new Uint8Array(sealed.iv).buffer,
      new Uint8Array(sealed.ciphertext).buffer,
      now,
      now,
    );
    return { name, updated_at: iso(now), created: !existing };
  }

  private row(name: string): SecretRow | null {
    return (
      this.sql.exec<SecretRow>("SELECT * FROM secrets WHERE name = ?", name).toArray()[0] ?? null
    );
  }

  private count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secrets").one().n;
  }
}
