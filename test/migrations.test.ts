import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../src/actors/migrations.ts";
import { PROBE_MIGRATIONS } from "./fixtures/migrations-probe.ts";

describe("actor schema migrations", () => {
  it("applies every migration once, in order, before the first call", async () => {
    const probe = env.MIGRATIONS_PROBE.getByName("fresh");
    const { applied, notes } = await probe.schema();
    expect(applied.map(({ track, version, name }) => [track, version, name])).toEqual([
      ["actor", 1, "create_notes"],
      ["actor", 2, "add_notes_author"],
      ["actor", 3, "seed_welcome_note"],
    ]);
    expect(notes).toEqual([{ id: 1, body: "welcome", author: "migration" }]);
  });

  it("keeps schema and data across eviction without re-running migrations", async () => {
    const probe = env.MIGRATIONS_PROBE.getByName("evicted");
    await probe.addNote("before eviction");
    const before = await probe.schema();

    await evictDurableObject(probe);
    const after = await env.MIGRATIONS_PROBE.getByName("evicted").schema();

    expect(after.applied).toEqual(before.applied);
    expect(after.notes).toEqual([
      { id: 1, body: "welcome", author: "migration" },
      { id: 2, body: "before eviction", author: "system" },
    ]);
  });

  it("applies only the migrations appended since the last run", async () => {
    const probe = env.MIGRATIONS_PROBE.getByName("upgraded");
    await probe.schema();
    const appliedNow = await runInDurableObject(probe, (_instance, state) =>
      applyMigrations(state.storage, [
        ...PROBE_MIGRATIONS,
        {
          name: "add_notes_pinned",
          sql: "ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
        },
      ]),
    );
    expect(appliedNow).toEqual([4]);
    const columns = await runInDurableObject(probe, (_instance, state) =>
      state.storage.sql.exec("SELECT name FROM pragma_table_info('notes') ORDER BY cid").toArray(),
    );
    expect(columns.map((c) => c.name)).toEqual(["id", "body", "author", "pinned"]);
    const again = await runInDurableObject(probe, (_instance, state) =>
      applyMigrations(state.storage, [
        ...PROBE_MIGRATIONS,
        {
          name: "add_notes_pinned",
          sql: "ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
        },
      ]),
    );
    expect(again).toEqual([]);
  });

  it("refuses a migration list whose deployed entries were renamed or removed", async () => {
    const probe = env.MIGRATIONS_PROBE.getByName("edited");
    await probe.schema();
    const renamed = [...PROBE_MIGRATIONS];
    renamed[1] = { name: "something_else", sql: "SELECT 1" };
    await runInDurableObject(probe, (_instance, state) => {
      expect(() => applyMigrations(state.storage, renamed)).toThrow(
        'actor migration 2 was applied as "add_notes_author" but is now "something_else"',
      );
      expect(() => applyMigrations(state.storage, PROBE_MIGRATIONS.slice(0, 2))).toThrow(
        "Storage is at actor schema version 3 but the code knows only 2 migrations",
      );
    });
  });

  it("rolls back a failing migration together with its version record", async () => {
    const probe = env.MIGRATIONS_PROBE.getByName("failing");
    await probe.schema();
    await runInDurableObject(probe, (_instance, state) => {
      const broken = [
        ...PROBE_MIGRATIONS,
        {
          name: "half_broken",
          sql: "CREATE TABLE tags (id INTEGER); INSERT INTO no_such_table VALUES (1)",
        },
      ];
      expect(() => applyMigrations(state.storage, broken)).toThrow(/no such table/);
      const tables = state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tags'")
        .toArray();
      expect(tables).toEqual([]);
      const versions = state.storage.sql
        .exec("SELECT MAX(version) AS v FROM _troupe_migrations WHERE track = 'actor'")
        .one();
      expect(versions.v).toBe(3);
    });
  });
});
