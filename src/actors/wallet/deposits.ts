// Deposits (seed 000's holdDeposit): a user holds credits for one creation, which captures up
// to what is held (its share reaching the creation's wallet as for a payment) or releases them;
// a deposit nobody settles is released when it expires (the wallet's hold expiry job). A
// deposit is a hold of the user's wallet plus this row saying whose it is and on what terms.

import { base64url, fromBase64url } from "../../shared/crypto.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Migration } from "../migrations.ts";

export const DEPOSITS_MIGRATION: Migration = {
  name: "deposits",
  sql: `
    CREATE TABLE deposits (
      hold_id TEXT PRIMARY KEY,
      creation_id TEXT NOT NULL,
      creator_share_pct INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;`,
};

export type DepositRow = {
  hold_id: string;
  creation_id: string;
  creator_share_pct: number;
  created_at: number;
};

const DEPOSIT_ID = /^dep_([A-Za-z0-9_-]{1,200})\.(hold_[0-9a-f-]{36})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A deposit's id names the user's wallet and the hold in it, so the creation settles it with
 *  the id alone: `dep_<user id in base64url>.<hold id>`. */
export function depositId(userId: string, holdId: string): string {
  return `dep_${base64url(encoder.encode(userId))}.${holdId}`;
}

export function readDepositId(id: string): { userId: string; holdId: string } | null {
  const match = DEPOSIT_ID.exec(id);
  const bytes = match ? fromBase64url(match[1] as string) : null;
  if (!match || !bytes) return null;
  try {
    return { userId: decoder.decode(bytes), holdId: match[2] as string };
  } catch {
    return null;
  }
}

export class Deposits {
  constructor(private readonly sql: SqlStorage) {}

  record(row: DepositRow): void {
    this.sql.exec(
      "INSERT INTO deposits (hold_id, creation_id, creator_share_pct, created_at) VALUES (?, ?, ?, ?)",
      row.hold_id,
      row.creation_id,
      row.creator_share_pct,
      row.created_at,
    );
  }

  /** The deposit, when it is `creationId`'s to settle. */
  require(holdId: string, creationId: string): DepositRow {
    const row = this.sql
      .exec<DepositRow>("SELECT * FROM deposits WHERE hold_id = ?", holdId)
      .toArray()[0];
    if (!row || row.creation_id !== creationId) {
      throw new ApiError("DEPOSIT_NOT_FOUND", "No such deposit for this creation.");
    }
    return row;
  }
}
