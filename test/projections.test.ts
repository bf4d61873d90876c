import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { RECONCILE_CREATIONS_JOB, reconcileCreations } from "../src/jobs/reconcile-creations.ts";
import { clock } from "../src/shared/clock.ts";
import { api, bearer, createCreation, jsonInit, problemOf } from "./helpers.ts";

const WAIT = { timeout: 5_000, interval: 20 };

type Row = { id: string; owner: string; name: string | null; revision: number };
const projected = (id: string) =>
  env.DB.prepare("SELECT id, owner, name, revision FROM creations WHERE id = ?")
    .bind(id)
    .first<Row>();

async function list(owner: string, query = "") {
  const response = await api(`/v1/creations${query}`, { headers: await bearer({ sub: owner }) });
  return {
    status: response.status,
    body: (await response.json()) as { creations: Row[]; next_cursor: string | null },
  };
}

describe("GET /v1/creations", () => {
  it("lists the caller's creations newest first, a page at a time", async () => {
    const owner = `lister-${crypto.randomUUID()}`;
    const ids: string[] = [];
    for (const name of ["one", "two", "three"])
      ids.push((await createCreation(owner, { name })).id);
    await createCreation(`someone-else-${crypto.randomUUID()}`);

    await vi.waitFor(async () => expect((await list(owner)).body.creations).toHaveLength(3), WAIT);
    expect((await list(owner)).body.creations.map((c) => c.name)).toEqual(["three", "two", "one"]);

    const first = await list(owner, "?limit=2");
    expect(first.body.creations.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await list(owner, `?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({
      creations: [
        {
          id: ids[0],
          owner,
          name: "one",
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });
  });

  it("is 400 INVALID_REQUEST for a bad limit or cursor", async () => {
    const badLimit = await api("/v1/creations?limit=0", { headers: await bearer() });
    expect((await problemOf(badLimit)).detail).toBe("query limit: must be at least 1");
    const tooMany = await api("/v1/creations?limit=101", { headers: await bearer() });
    expect((await problemOf(tooMany)).detail).toBe("query limit: must be at most 100");
    const badCursor = await api("/v1/creations?cursor=bm9wZQ", { headers: await bearer() });
    expect(badCursor.status).toBe(400);
    expect((await problemOf(badCursor)).detail).toBe(
      "query cursor: is not a cursor this API returned",
    );
  });

  it("follows renames through the projection", async () => {
    const { id } = await createCreation("renamer", { name: "before" });
    await vi.waitFor(async () => expect((await projected(id))?.name).toBe("before"), WAIT);
    await api(
      `/v1/creations/${id}`,
      jsonInit("PATCH", { name: "after" }, await bearer({ sub: "renamer" })),
    );
    await vi.waitFor(
      async () => expect(await projected(id)).toMatchObject({ name: "after", revision: 2 }),
      WAIT,
    );
  });
});

describe("the reconcile-creations cron job", () => {
  it("runs from the Worker's scheduled handler, repairing stale rows and removing orphans", async () => {
    const { id } = await createCreation("owner-r", { name: "truth" });
    await vi.waitFor(async () => expect(await projected(id)).not.toBeNull(), WAIT);
    const orphan = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("UPDATE creations SET name = 'stale', revision = 0 WHERE id = ?").bind(id),
      env.DB.prepare(
        "INSERT INTO creations (id, owner, name, created_at, updated_at, revision) VALUES (?, 'ghost', 'gone', '2026-01-01', '2026-01-01', 1)",
      ).bind(orphan),
    ]);

    const controller = createScheduledController({
      cron: "*/10 * * * *",
      scheduledTime: clock.now(),
    });
    await worker.scheduled(controller, env);

    expect(await projected(id)).toEqual({ id, owner: "owner-r", name: "truth", revision: 1 });
    expect(await projected(orphan)).toBeNull();
    const cursor = await env.DB.prepare("SELECT cursor FROM job_cursors WHERE job = ?")
      .bind(RECONCILE_CREATIONS_JOB)
      .first<{ cursor: string }>();
    expect(cursor).toEqual({ cursor: "" });
  });

  it("walks the table a batch per run and wraps around", async () => {
    await env.DB.prepare("DELETE FROM creations").run();
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => (await createCreation(`batch-${n}`)).id),
    );
    await vi.waitFor(async () => {
      const { n } = (await env.DB.prepare("SELECT COUNT(*) AS n FROM creations").first<{
        n: number;
      }>()) ?? { n: 0 };
      expect(n).toBe(3);
    }, WAIT);
    const sorted = [...ids].sort();
    expect(await reconcileCreations(env, 2)).toEqual({
      checked: 2,
      repaired: 0,
      removed: 0,
      cursor: sorted[1],
    });
    expect(await reconcileCreations(env, 2)).toEqual({
      checked: 1,
      repaired: 0,
      removed: 0,
      cursor: "",
    });
    expect((await reconcileCreations(env, 2)).checked).toBe(2);
  });
});
