// What the fuzz suites found that src/ still gets wrong, one reproduction each, stating the
// right answer. Each is `it.fails` until its fix lands: then it fails, and the fix's author
// turns it into a plain `it` (or moves it to test/fuzz-findings.test.ts) and puts the inputs
// back into the generator that names this file. Until then those generators leave exactly
// these inputs out, so the rest of each property still guards everything else.

import { describe, expect, it } from "vitest";
import { api, createCreation, serviceHeaders } from "../helpers.ts";
import { deliverStripe } from "../stripe-helpers.ts";
import { asService } from "../wallet-helpers.ts";

const balanceOf = async (userId: string) =>
  ((await (await asService("GET", `/v1/users/${userId}/wallet`)).json()) as { balance: number })
    .balance;

const availability = async (name: string) =>
  ((await (await api(`/v1/subdomains/${name}`)).json()) as { available: boolean }).available;

describe("open findings of the fuzz suites", () => {
  // src/router/auth/replay.ts: refuseReplays() lets any request carrying an idempotency key
  // past the replay guard, and Idempotency-Key is not part of the signed text, so a captured
  // signed deposit sent again with a new key is applied again.
  it.fails("a captured signed deposit sent again with a new Idempotency-Key is not applied again", async () => {
    const path = "/v1/users/finding-replay/wallet/deposit";
    const body = JSON.stringify({ amount: 100 });
    const signed = await serviceHeaders("POST", path, body);
    const before = await balanceOf("finding-replay");
    const statuses: number[] = [];
    for (const key of [undefined, "new-key-1", "new-key-2"]) {
      const response = await api(path, {
        method: "POST",
        headers: {
          ...signed,
          "content-type": "application/json",
          ...(key ? { "idempotency-key": key } : {}),
        },
        body,
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(1)).not.toContain(200);
    expect((await balanceOf("finding-replay")) - before).toBe(100);
  });

  // src/router/routes/webhooks.ts: STRIPE_HANDLERS[event.type] reads through the prototype, so a
  // type named like an Object.prototype member is "handled" by that member: "__proto__" is a
  // 500 (Stripe retries it forever), "constructor" echoes the event back, "toString" answers
  // its characters.
  for (const type of ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty"]) {
    it.fails(`a signed event of type "${type}" is acknowledged as not handled`, async () => {
      const response = await deliverStripe(
        JSON.stringify({ id: `evt_finding_${type}`, type, data: { object: {} } }),
      );
      expect([response.status, await response.json()]).toEqual([
        200,
        { received: true, applied: false, reason: "event type not handled" },
      ]);
    });
  }

  // src/registry/importer.ts: a config:reserved item that is not a valid name is reported as
  // `${key}:${String(raw)}`; String() of an object with its own toString key throws, so the
  // import is a 500 after the other records of the batch were already applied.
  it.fails("a reserved-list item { toString } is skipped, and the batch still answers", async () => {
    const name = "finding-reserved";
    const response = await asService("POST", "/v1/admin/registry/import", {
      records: {
        [`subdomain:${name}`]: { ownerId: "finding-owner" },
        "config:reserved": [{ toString: 1 }],
      },
    });
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) expect(await availability(name)).toBe(true);
  });

  // src/shared/schemas/registry.ts: `records` is a valibot v.record, which silently drops the
  // keys "constructor" and "prototype", so such a record gets no outcome at all, where the
  // importer promises one for every record (and refuses "__proto__" outright).
  for (const key of ["constructor", "prototype"]) {
    it.fails(`a record keyed "${key}" is reported, not dropped`, async () => {
      const response = await asService("POST", "/v1/admin/registry/import", {
        records: { [key]: { ownerId: "finding-owner" } },
      });
      if (response.status === 200) {
        const report = (await response.json()) as { skipped: { key: string }[] };
        expect(report.skipped.map((skip) => skip.key)).toContain(key);
      } else {
        expect(response.status).toBeLessThan(500);
      }
    });
  }

  it("the reproductions above run against a working Worker", async () => {
    // A broken fixture would make every it.fails above "pass" for the wrong reason.
    expect((await createCreation("finding-owner")).id).toMatch(/^[0-9a-f-]{36}$/);
    const deposit = await asService("POST", "/v1/users/finding-check/wallet/deposit", {
      amount: 1,
    });
    expect(deposit.status).toBe(200);
  });
});
