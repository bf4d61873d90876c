// Sales as the creation's wallet sees them: each purchase or payment a buyer's wallet made for
// the creation arrives by the outbox (exactly once), credits the creator's share and is
// recorded here, with the platform's share, for the creation's sales summary.

import * as v from "valibot";
import type { Migration } from "../migrations.ts";

export const SALES_MIGRATION: Migration = {
  name: "sales",
  sql: `
    CREATE TABLE sales (
      sale_id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('purchase', 'payment')),
      sku TEXT,
      gross INTEGER NOT NULL,
      creator_share INTEGER NOT NULL,
      sold_at INTEGER NOT NULL,
      refunded_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX sales_by_time ON sales (sold_at);`,
};

export const SaleMessageSchema = v.object({
  to: v.string(),
  from: v.string(),
  /** The buyer's transaction. */
  sale_id: v.string(),
  kind: v.picklist(["purchase", "payment"]),
  sku: v.nullable(v.string()),
  gross: v.pipe(v.number(), v.integer(), v.minValue(1)),
  creator_share: v.pipe(v.number(), v.integer(), v.minValue(0)),
  sold_at: v.number(),
  description: v.string(),
});
export type SaleMessage = v.InferInput<typeof SaleMessageSchema>;

export class Sales {
  constructor(private readonly sql: SqlStorage) {}

  get(saleId: string): { creator_share: number; refunded_at: number | null } | null {
    return (
      this.sql
        .exec<{ creator_share: number; refunded_at: number | null }>(
          "SELECT creator_share, refunded_at FROM sales WHERE sale_id = ?",
          saleId,
        )
        .toArray()[0] ?? null
    );
  }

  markRefunded(saleId: string, now: number): void {
    this.sql.exec("UPDATE sales SET refunded_at = ? WHERE sale_id = ?", now, saleId);
  }

  has(saleId: string): boolean {
    return this.sql.exec("SELECT 1 FROM sales WHERE sale_id = ?", saleId).toArray().length > 0;
  }

  record(sale: v.InferOutput<typeof SaleMessageSchema>): void {
    this.sql.exec(
      `INSERT INTO sales (sale_id, kind, sku, gross, creator_share, sold_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      sale.sale_id,
      sale.kind,
      sale.sku,
      sale.gross,
      sale.creator_share,
      sale.sold_at,
    );
  }

  /** Sales in [from, to): gross, shares, counts, per sku, and what was refunded. */
  summary(from: number, to: number) {
    const rows = this.sql
      .exec<{
        sku: string | null;
        kind: string;
        sales: number;
        gross: number;
        creator: number;
        refunded_sales: number;
        refunded_gross: number;
        refunded_creator: number;
      }>(
        `SELECT sku, kind, COUNT(*) AS sales, SUM(gross) AS gross, SUM(creator_share) AS creator,
           SUM(refunded_at IS NOT NULL) AS refunded_sales,
           SUM(CASE WHEN refunded_at IS NULL THEN 0 ELSE gross END) AS refunded_gross,
           SUM(CASE WHEN refunded_at IS NULL THEN 0 ELSE creator_share END) AS refunded_creator
         FROM sales WHERE sold_at >= ? AND sold_at < ? GROUP BY sku, kind ORDER BY gross DESC, sku`,
        from,
        to,
      )
      .toArray();
    const sum = (pick: (row: (typeof rows)[number]) => number) =>
      rows.reduce((total, row) => total + pick(row), 0);
    return {
      gross: sum((row) => row.gross),
      creator_share: sum((row) => row.creator),
      platform_share: sum((row) => row.gross - row.creator),
      count: sum((row) => row.sales),
      by_sku: rows.map((row) => ({
        sku: row.sku,
        kind: row.kind,
        count: row.sales,
        gross: row.gross,
        creator_share: row.creator,
        platform_share: row.gross - row.creator,
      })),
      refunds: {
        count: sum((row) => row.refunded_sales),
        gross: sum((row) => row.refunded_gross),
        creator_share: sum((row) => row.refunded_creator),
      },
    };
  }
}
