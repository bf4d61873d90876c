// The base of every troupe actor: one writer per concept, its own SQLite as the source of
// truth, and a schema brought up to date before the first request is let in.

import { DurableObject } from "cloudflare:workers";
import { applyMigrations, type Migration } from "./migrations.ts";

export type { Migration } from "./migrations.ts";

export abstract class Actor<E extends Env = Env> extends DurableObject<E> {
  /**
   * The actor's schema, oldest first. Declared as a static so the base constructor can read
   * it before subclass fields exist. Append only: never edit or reorder a deployed entry.
   */
  static readonly migrations: readonly Migration[] = [];

  protected readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const { migrations } = new.target as unknown as typeof Actor;
    // blockConcurrencyWhile holds every request and alarm until the schema is current, so
    // no method ever sees a half-migrated database.
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, migrations);
    });
  }
}
