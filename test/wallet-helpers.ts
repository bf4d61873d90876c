import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { creationAccount, userAccount } from "../src/actors/wallet/account.ts";
import { api, jsonInit, serviceHeaders } from "./helpers.ts";

export const creationWallet = (id: string) => actorByName(env.WALLET, creationAccount(id));
export const userWallet = (id: string) => actorByName(env.WALLET, userAccount(id));

/** A signed platform call with a JSON body. A mutation's signature is single-use, so a test
 * sending the same call again on purpose signs it at another second (`nowSeconds`). */
export async function asService(
  method: string,
  path: string,
  body?: unknown,
  options: { nowSeconds?: number } = {},
) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = await serviceHeaders(method, path, text, options);
  return api(
    path,
    body === undefined
      ? { method, headers }
      : { method, headers: { ...headers, "content-type": "application/json" }, body: text },
  );
}

/** Funds a creation's wallet as the platform and checks it landed. */
export async function fundCreation(id: string, amount: number) {
  // Each funding is its own operation, so it carries its own reference.
  const response = await asService("POST", `/v1/creations/${id}/wallet/deposit`, {
    amount,
    reference_id: `fund-${crypto.randomUUID()}`,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { balance: number };
}

export async function expectCleanAudit(wallet: ReturnType<typeof creationWallet>) {
  const audit = await wallet.audit();
  expect(audit.problems).toEqual([]);
  expect(audit.ok).toBe(true);
  expect(audit.buckets_total).toBe(audit.ledger_total);
  return audit;
}

export const post = (path: string, body: unknown, headers: Record<string, string>) =>
  api(path, jsonInit("POST", body, headers));
