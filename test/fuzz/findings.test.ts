// What the edge-input fuzz suites found, one reproduction each, stating the right answer (all
// fixed in src/; their inputs are in the generators too). A finding src/ has not fixed yet
// goes here as `it.fails`, with its inputs left out of the generator that names this file, so
// the rest of that property still guards everything else; the fix turns it into a plain `it`
// and puts the inputs back.

import { describe, expect, it } from "vitest";
import { api, serviceHeaders } from "../helpers.ts";
import { deliverStripe } from "../stripe-helpers.ts";
import { asService } from "../wallet-helpers.ts";

const balanceOf = async (userId: string) =>
  ((await (await asService("GET", `/v1/users/${userId}/wallet`)).json()) as { balance: number })
    .balance;

const availability = async (name: string) =>
  ((await (await api(`/v1/subdomains/${name}`)).json()) as { available: boolean }).available;

describe("findings of the fuzz suites", () => {
  // src/router/auth/replay.ts: refuseReplays() let any request carrying an idempotency key past
  // the replay guard, and Idempotency-Key is not part of the signed text, so a captured signed
  // deposit sent again under a new key was applied again.
  it("a captured signed deposit sent again with a new Idempotency-Key is not applied again", async () => {
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
    expect(statuses).toEqual([200, 401, 401]);
    expect((await balanceOf("finding-replay")) - before).toBe(100);
  });

  // src/router/routes/webhooks.ts: STRIPE_HANDLERS[event.type] read through the prototype, so a
  // type named like an Object.prototype member was "handled" by that member: "__proto__" was a
  // 500 (Stripe retries it forever), "constructor" echoed the event back, "toString" answered
  // its characters.
  for (const type of ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty"]) {
    it(`a signed event of type "${type}" is acknowledged as not handled`, async () => {
      const response = await deliverStripe(
        JSON.stringify({ id: `evt_finding_${type}`, type, data: { object: {} } }),
      );
      expect([response.status, await response.json()]).toEqual([
        200,
        { received: true, applied: false, reason: "event type not handled" },
      ]);
    });
  }

  // src/registry/importer.ts: a config:reserved item that is not a valid name was reported as
  // `${key}:${String(raw)}`; String() of an object with its own toString key throws, so the
  // import was a 500 after the other records of the batch were already applied.
  it("a reserved-list item { toString } is skipped, and the batch still answers", async () => {
    const name = "finding-reserved";
    const response = await asService("POST", "/v1/admin/registry/import", {
      records: {
        [`subdomain:${name}`]: { ownerId: "finding-owner" },
        "config:reserved": [{ toString: 1 }],
      },
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as {
      imported: string[];
      skipped: { key: string; reason: string }[];
    };
    expect(report.imported).toEqual([`subdomain:${name}`]);
    expect(report.skipped.map((skip) => skip.key.startsWith("config:reserved:"))).toEqual([true]);
    expect(await availability(name)).toBe(false);
  });

  // src/shared/schemas/registry.ts: `records` was a valibot v.record, which silently drops the
  // keys "constructor" and "prototype", so such a record got no outcome at all, where the
  // importer promises one for every record (and refuses "__proto__" outright).
  for (const key of ["constructor", "prototype"]) {
    it(`a record keyed "${key}" is reported, not dropped`, async () => {
      const response = await asService("POST", "/v1/admin/registry/import", {
        records: { [key]: { ownerId: "finding-owner" } },
      });
      expect(response.status).toBe(200);
      const report = (await response.json()) as { skipped: { key: string }[] };
      expect(report.skipped.map((skip) => skip.key)).toEqual([key]);
    });
  }
});
