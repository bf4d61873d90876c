// Deposits (seed 000's holdDeposit), the table: a deposit is a hold of the user's wallet plus
// this row saying for which creation and at which share. The flow is deposit-flow.ts; its ids
// name the user's wallet (routed-ids.ts).

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
