// The small fixture world of the edge-input suites: a funded user (the payer), a creation the
// payer owns and lets spend on their behalf (a budget and a rat_ access token), a second
// creation, and a revoked creation token. Its balances are the watched states: a refused or
// replayed request must leave them where they were.

import { expect } from "vitest";
import { api, asCreation, bearer, jsonInit } from "../helpers.ts";
import { asService } from "../wallet-helpers.ts";

/** What the payer is funded with: far more than any run spends. */
const PAYER_FUNDS = 1_000_000;
/** The creation's budget on the payer's wallet: never the limit a fuzz run reaches. */
const BUDGET_LIMIT = 1_000_000;

async function json(response: Response, status: number, what: string) {
  const text = await response.text();
  expect(response.status, `${what}: ${text}`).toBe(status);
  return JSON.parse(text) as Record<string, unknown>;
}

export class EdgeWorld {
  /** The funded user. */
  readonly payer: string;
  /** A user with no wallet history and no budget given to anyone. */
  readonly stranger: string;
  creationId = "";
  creationToken = "";
  /** The creation's first token, rotated away. */
  revokedToken = "";
  otherCreationId = "";
  otherCreationToken = "";
  /** The payer's rat_ token for the creation. */
  accessToken = "";
  /** The payer's rat_ token for the other creation (which has no budget). */
  otherAccessToken = "";

  constructor(label: string) {
    this.payer = `${label}-payer`;
    this.stranger = `${label}-stranger`;
  }

  async setup(): Promise<void> {
    const payer = await bearer({ sub: this.payer });
    const created = await json(
      await api("/v1/creations", jsonInit("POST", { name: "edge" }, payer)),
      201,
      "create the creation",
    );
    this.creationId = created.id as string;
    this.revokedToken = created.token as string;
    const rotated = await json(
      await api(`/v1/creations/${this.creationId}/rotate-token`, {
        method: "POST",
        headers: payer,
      }),
      200,
      "rotate its token",
    );
    this.creationToken = rotated.token as string;
    const other = await json(
      await api("/v1/creations", jsonInit("POST", {}, payer)),
      201,
      "create the other creation",
    );
    this.otherCreationId = other.id as string;
    this.otherCreationToken = other.token as string;
    await json(
      await asService("POST", `/v1/users/${this.payer}/wallet/deposit`, {
        amount: PAYER_FUNDS,
        reference_id: "edge-setup",
      }),
      200,
      "fund the payer",
    );
    await json(
      await api(
        "/v1/me/authorizations/budget",
        jsonInit(
          "POST",
          { creation_id: this.creationId, limit: BUDGET_LIMIT, period: "total" },
          payer,
        ),
      ),
      201,
      "grant the creation a budget",
    );
    this.accessToken = await this.mintAccessToken(this.creationId);
    this.otherAccessToken = await this.mintAccessToken(this.otherCreationId);
    // Opens the stranger's wallet, so reading it later changes nothing by itself.
    await this.userBalance(this.stranger);
  }

  private async mintAccessToken(creationId: string): Promise<string> {
    const minted = await json(
      await api(
        "/v1/me/access-tokens",
        jsonInit("POST", { creation_id: creationId }, await bearer({ sub: this.payer })),
      ),
      201,
      "mint an access token",
    );
    return minted.access_token as string;
  }

  /** A user's balance, read as the platform. */
  async userBalance(userId: string): Promise<number> {
    const response = await asService("GET", `/v1/users/${encodeURIComponent(userId)}/wallet`);
    return ((await json(response, 200, `read ${userId}'s wallet`)) as { balance: number }).balance;
  }

  /** The creation's balance, read with its own token. */
  async creationBalance(): Promise<number> {
    const response = await api(`/v1/creations/${this.creationId}/wallet`, {
      headers: asCreation(this.creationToken),
    });
    return ((await json(response, 200, "read the creation's wallet")) as { balance: number })
      .balance;
  }
}
