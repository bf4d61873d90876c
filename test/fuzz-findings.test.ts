// Inputs the fuzzer found answered with 500, each now a 4xx or a clean acknowledgement.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { creationAccount } from "../src/actors/wallet/account.ts";
import { clock } from "../src/shared/clock.ts";
import { ApiError } from "../src/shared/errors.ts";
import { api, bearer, createCreation, problemOf } from "./helpers.ts";
import { deliverStripe } from "./stripe-helpers.ts";
import { asService, fundCreation } from "./wallet-helpers.ts";

const SERVICE = { type: "service", id: "platform", secret_index: 0 } as const;

describe("found by fuzzing", () => {
  it("removing a collaborator whose email has a % in it is 404, not a decoding failure", async () => {
    const owner = await bearer({ sub: "pct-owner" });
    expect(
      (await api("/v1/subdomains/pct-site/claim", { method: "POST", headers: owner })).status,
    ).toBe(201);
    for (const email of ["%25", "%ED%A0%80", "a%25b%40example.com"]) {
      const response = await api(`/v1/subdomains/pct-site/collaborators/${email}`, {
        method: "DELETE",
        headers: owner,
      });
      expect([email, response.status, (await problemOf(response)).code]).toEqual([
        email,
        404,
        "COLLABORATOR_NOT_FOUND",
      ]);
    }
  });

  it("a deposit whose expires_at passed before the wallet saw it is 400 naming the field", async () => {
    const { id } = await createCreation("late-expiry");
    const account = creationAccount(id);
    const deposit = {
      amount: 5,
      bucket: "bonus" as const,
      expires_at: new Date(clock.now() - 1).toISOString(),
    };
    // The router would have refused it; this is the moment after it said yes.
    const refused = await actorByName(env.WALLET, account)
      .deposit(account, SERVICE, deposit)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect([(refused as ApiError).code, (refused as ApiError).extensions.errors]).toEqual([
      "INVALID_REQUEST",
      [{ field: "expires_at", message: "must be in the future" }],
    ]);
  });

  it("a signed Stripe payment whose object id is not a Stripe id still credits, once", async () => {
    const { id } = await createCreation("odd-stripe");
    await fundCreation(id, 1);
    const body = `{"id":"evt_odd_1","type":"payment_intent.succeeded","data":{"object":{"id":"\\ud800","metadata":{"creation_id":"${id}","amount":"7"}}}}`;
    const first = await deliverStripe(body);
    expect([first.status, await first.json()]).toEqual([
      200,
      { received: true, applied: true, replayed: false },
    ]);
    const again = await deliverStripe(body);
    expect(await again.json()).toEqual({ received: true, applied: true, replayed: true });
    const wallet = await api(`/v1/creations/${id}/wallet`, {
      headers: await bearer({ sub: "odd-stripe" }),
    });
    expect(((await wallet.json()) as { balance: number }).balance).toBe(8);
  });
});

describe("found by fuzzing the registry import", () => {
  it("skips a record whose collaborator has an id or email the API would refuse, claiming nothing", async () => {
    const records = {
      "subdomain:odd-collab-a": {
        ownerId: "importer-a",
        collaborators: [{ email: "x@example.com", userId: "\ud800", status: "active" }],
      },
      "subdomain:odd-collab-b": {
        ownerId: "importer-b",
        collaborators: [{ email: "not an email", status: "invited" }],
      },
    };
    const response = await asService("POST", "/v1/admin/registry/import", { records });
    expect([response.status, await response.json()]).toEqual([
      200,
      {
        imported: [],
        unchanged: [],
        skipped: [
          {
            key: "subdomain:odd-collab-a",
            reason:
              "not a subdomain record (needs a valid ownerId, and valid collaborator emails and user ids)",
          },
          {
            key: "subdomain:odd-collab-b",
            reason:
              "not a subdomain record (needs a valid ownerId, and valid collaborator emails and user ids)",
          },
        ],
      },
    ]);
    for (const name of ["odd-collab-a", "odd-collab-b"]) {
      const view = (await (await api(`/v1/subdomains/${name}`)).json()) as { owner: unknown };
      expect(view.owner).toBeNull();
    }
  });
});
