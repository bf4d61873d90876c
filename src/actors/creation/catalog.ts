// A creation's products (seed 000's config.products) and its payment settings. The catalog is
// what is for sale now; what someone bought is a copy of the product taken at the purchase
// (the buyer's wallet keeps it), so changing or removing a product never changes a purchase.

import * as v from "valibot";
import { ApiError } from "../../shared/errors.ts";
import {
  type Product,
  type ProductList,
  ProductSchema,
  type PutProducts,
  PutProductsSchema,
  SkuSchema,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { authorize } from "../access.ts";
import type { Migration } from "../migrations.ts";
import type { CreationHost } from "./host.ts";
import type { CreationRow } from "./schema.ts";

export const CATALOG_MIGRATION: Migration = {
  name: "catalog",
  sql: `
    -- JSON array of what the creation may do (seed 000's config.permissions), e.g. ["payments"].
    ALTER TABLE creation ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';
    -- Percent of each sale credited to the creation's wallet; the platform keeps the rest.
    ALTER TABLE creation ADD COLUMN creator_share_pct INTEGER NOT NULL DEFAULT 100;
    CREATE TABLE products (
      sku TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      body TEXT NOT NULL
    ) WITHOUT ROWID;`,
};

/** What a buyer's wallet needs to sell one product: the product now, and the creation's terms. */
export interface Offer {
  creation_id: string;
  owner: string;
  product: Product;
  creator_share_pct: number;
}

export class Catalog {
  constructor(private readonly host: CreationHost) {}

  private get sql(): SqlStorage {
    return this.host.storage.sql;
  }

  /** Replaces what the creation sells (its owner or the platform). */
  put(caller: Principal, input: PutProducts): ProductList {
    const row = this.host.require();
    authorize(caller, this.host.owned(row), ["owner", "service"]);
    this.host.storage.transactionSync(() => this.replace(input));
    return this.listOf(row);
  }

  /** What the creation sells, for anyone (seed 000's listProducts). */
  list(): ProductList {
    return this.listOf(this.host.require());
  }

  /** What a buyer's wallet needs for a freeform payment to this creation. */
  paymentTerms(): { creation_id: string; creator_share_pct: number } {
    const row = this.host.require();
    requirePayments(row);
    return { creation_id: row.id, creator_share_pct: row.creator_share_pct };
  }

  /** The product a buyer's wallet is about to sell, with the creation's terms of sale. */
  offer(sku: string): Offer {
    return this.offerOf(this.host.require(), v.parse(SkuSchema, sku));
  }

  private replace(input: PutProducts): Product[] {
    const { products } = v.parse(PutProductsSchema, input);
    this.sql.exec("DELETE FROM products");
    products.forEach((product, position) => {
      this.sql.exec(
        "INSERT INTO products (sku, position, body) VALUES (?, ?, ?)",
        product.sku,
        position,
        JSON.stringify(product),
      );
    });
    return this.products();
  }

  private products(): Product[] {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM products ORDER BY position")
      .toArray()
      .map((row) => v.parse(ProductSchema, JSON.parse(row.body)));
  }

  private listOf(row: CreationRow): ProductList {
    return {
      creation_id: row.id,
      payments_enabled: paymentsEnabled(row),
      products: this.products(),
    };
  }

  /** The product on sale as `sku`, with the creation's terms; refused when it sells nothing. */
  private offerOf(row: CreationRow, sku: string): Offer {
    requirePayments(row);
    const stored = this.sql
      .exec<{ body: string }>("SELECT body FROM products WHERE sku = ?", sku)
      .toArray()[0];
    if (!stored) {
      throw new ApiError("PRODUCT_NOT_FOUND", `This creation sells no product "${sku}".`, { sku });
    }
    return {
      creation_id: row.id,
      owner: row.owner,
      product: v.parse(ProductSchema, JSON.parse(stored.body)),
      creator_share_pct: row.creator_share_pct,
    };
  }
}

export function permissionsOf(row: Pick<CreationRow, "permissions">): string[] {
  return JSON.parse(row.permissions) as string[];
}

export function paymentsEnabled(row: Pick<CreationRow, "permissions">): boolean {
  return permissionsOf(row).includes("payments");
}

/** Purchases, payments and deposits need the creation's "payments" permission (seed 000). */
export function requirePayments(row: CreationRow): void {
  if (!paymentsEnabled(row)) {
    throw new ApiError(
      "PAYMENTS_NOT_ENABLED",
      'This creation does not take payments; its owner adds "payments" to its permissions.',
    );
  }
}
