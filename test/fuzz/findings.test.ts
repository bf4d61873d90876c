// What the edge-input fuzz suites found, one reproduction each, stating the right answer (all
// fixed in src/; their inputs are in the generators too). A finding src/ has not fixed yet
// goes here as `it.fails`, with its inputs left out of the generator that names this file, so
// the rest of that property still guards everything else; the fix turns it into a plain `it`
// and puts the inputs back.

import { describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
import { deliverStripe } from "../stripe-helpers.ts";
import { asService } from "../wallet-helpers.ts";

const availability = async (name: string) =>
  ((await (await api(`/v1/subdomains/${name}`)).json()) as { available: boolean }).available;

describe("findings of the fuzz suites", () => {
  // src/router/auth/replay.ts let a captured signed deposit re-sent under a new Idempotency-Key
  // header apply again: test/replay.test.ts pins that one ("refuses a copy re-sent under an
  // Idempotency-Key header"), and signed-calls.fuzz.test.ts sends such copies.

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
