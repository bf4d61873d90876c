// Each limit answers with its own code when it is hit, never a generic 403 or a 500.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { clock } from "../src/shared/clock.ts";
import { ApiError } from "../src/shared/errors.ts";
import { SCHEDULER_JOBS_MAX, SUBDOMAIN_COLLABORATORS_MAX } from "../src/shared/limits.ts";
import { api, bearer, jsonInit, problemOf } from "./helpers.ts";

describe("limits have their own codes", () => {
  it(`refuses the job past SCHEDULER_JOBS_MAX (${SCHEDULER_JOBS_MAX}) with SCHEDULER_FULL, keeping the rest`, async () => {
    const raw = env.SCHEDULER_PROBE.getByName("full");
    const inAnHour = clock.now() + 3_600_000;
    // Fill the job table directly: scheduling 10,000 jobs one RPC at a time would only be slow.
    await runInDurableObject(raw, (_instance, state) => {
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO _troupe_jobs (key, task, payload, due_at, occurrence_at, created_at)
         SELECT 'filler-' || i, 'record', '{"note":"x"}', ?, ?, ? FROM n`,
        SCHEDULER_JOBS_MAX,
        inAnHour,
        inAnHour,
        clock.now(),
      );
    });
    const probe = actorByName(env.SCHEDULER_PROBE, "full");
    const refused = await probe
      .add({ key: "one-more", task: "record", payload: { note: "x" }, at: inAnHour })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect([(refused as ApiError).code, (refused as ApiError).extensions]).toEqual([
      "SCHEDULER_FULL",
      { limit: SCHEDULER_JOBS_MAX },
    ]);
    // Replacing a job under an existing key is not a new job: still allowed.
    expect(
      await probe.add({ key: "filler-1", task: "record", payload: { note: "y" }, at: inAnHour }),
    ).toBe(inAnHour);
    expect((await probe.listSchedules()).length).toBe(SCHEDULER_JOBS_MAX);
  });

  it(`refuses collaborator ${SUBDOMAIN_COLLABORATORS_MAX + 1} with COLLABORATOR_LIMIT_REACHED`, async () => {
    const owner = await bearer({ sub: "crowded" });
    const claim = await api("/v1/subdomains/crowded/claim", { method: "POST", headers: owner });
    expect(claim.status).toBe(201);
    for (let i = 0; i < SUBDOMAIN_COLLABORATORS_MAX; i++) {
      const invite = await api(
        "/v1/subdomains/crowded/invites",
        jsonInit("POST", { email: `guest${i}@example.com` }, owner),
      );
      expect(invite.status).toBe(201);
    }
    const over = await api(
      "/v1/subdomains/crowded/invites",
      jsonInit("POST", { email: "one-too-many@example.com" }, owner),
    );
    expect([over.status, await problemOf(over)]).toMatchObject([
      403,
      { code: "COLLABORATOR_LIMIT_REACHED", limit: SUBDOMAIN_COLLABORATORS_MAX },
    ]);
    const again = await api(
      "/v1/subdomains/crowded/invites",
      jsonInit("POST", { email: "guest0@example.com", right: "read" }, owner),
    );
    expect(again.status).toBe(201); // changing an existing invite is not a new collaborator
  });
});
