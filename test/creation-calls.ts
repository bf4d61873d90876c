// One real request per route that admits a creation's credentials (its rct_ token, its secret
// keys), with the fixture they need: the revocation tests of tokens and keys run every one.

import { expect } from "vitest";
import { apiRoutes } from "../src/router/routes/index.ts";
import { api, bearer, type CreatedCreation, createCreation, jsonInit } from "./helpers.ts";
import { creationWallet, expectCleanAudit, fundCreation, post } from "./wallet-helpers.ts";

export interface Fixture {
  creation: CreatedCreation;
  holdId: string;
  accessToken: string;
}

interface Call {
  path: string;
  init?: RequestInit;
  /** What the route answers the current token (it got past authentication). */
  status: number;
  /** The code of that answer when it is a refusal for another reason. */
  code?: string;
  /** What the route answers a live secret key, when that differs from the token's answer. */
  keyStatus?: number;
}

const json = (method: string, body: unknown) => (headers: Record<string, string>) =>
  jsonInit(method, body, headers);

/** One request per route that admits a creation token, by operation id. */
export const CALLS: Record<
  string,
  (f: Fixture) => Omit<Call, "init"> & { init?: (h: Record<string, string>) => RequestInit }
> = {
  getMe: () => ({ path: "/v1/me", status: 200 }),
  getCreation: ({ creation }) => ({ path: `/v1/creations/${creation.id}`, status: 200 }),
  listSchedules: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/schedules`,
    status: 200,
  }),
  listScheduleFailures: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/schedules/failures`,
    status: 200,
  }),
  putSchedule: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/schedules/tick`,
    init: json("PUT", { delay_seconds: 60, target: { type: "room", room: "lobby", message: 1 } }),
    status: 201,
  }),
  deleteSchedule: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/schedules/existing`,
    init: (headers) => ({ method: "DELETE", headers }),
    status: 204,
  }),
  getCreationWallet: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/wallet`,
    status: 200,
  }),
  spendFromCreationWallet: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/wallet/spend`,
    init: json("POST", { amount: 7, type: "llm", reference_id: "revocation-spend" }),
    status: 200,
  }),
  holdCreationFunds: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/wallet/holds`,
    init: json("POST", { amount: 7, reference_id: "revocation-hold" }),
    status: 201,
  }),
  captureCreationHold: ({ creation, holdId }) => ({
    path: `/v1/creations/${creation.id}/wallet/holds/${holdId}/capture`,
    init: json("POST", { amount: 3 }),
    status: 200,
  }),
  releaseCreationHold: ({ creation, holdId }) => ({
    path: `/v1/creations/${creation.id}/wallet/holds/${holdId}/release`,
    init: json("POST", {}),
    status: 200,
  }),
  listCreationTransactions: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/wallet/transactions`,
    status: 200,
  }),
  spendMyCredits: ({ accessToken }) => ({
    path: "/v1/me/credits/spend",
    init: json("POST", {
      amount: 2,
      type: "llm",
      reference_id: "revocation-on-behalf",
      on_behalf_of_access_token: accessToken,
    }),
    status: 200,
  }),
  createRoomTicket: ({ creation }) => ({
    path: `/v1/rooms/${creation.id}/lobby/tickets`,
    init: (headers) => ({ method: "POST", headers }),
    status: 201,
  }),
  room: ({ creation }) => ({
    // Not an upgrade: the room's snapshot, for privileged callers.
    path: `/v1/rooms/${creation.id}/lobby`,
    status: 200,
  }),
  pushRoomMessage: ({ creation }) => ({
    path: `/v1/rooms/${creation.id}/lobby/messages`,
    init: json("POST", { data: { round: 1 } }),
    status: 200,
  }),
  patchRoomState: ({ creation }) => ({
    path: `/v1/rooms/${creation.id}/lobby/state`,
    init: json("POST", { ops: [{ op: "set", path: "/round", value: 1 }] }),
    status: 200,
  }),
  llmChatCompletions: () => ({
    path: "/v1/tools/llm/v1/chat/completions",
    init: json("POST", { messages: [{ role: "user", content: "hello" }] }),
    status: 200,
  }),
  llmMessages: () => ({
    path: "/v1/tools/llm/v1/messages",
    init: json("POST", { max_tokens: 20, messages: [{ role: "user", content: "hello" }] }),
    status: 200,
  }),
  getSubdomain: () => ({ path: "/v1/subdomains/unclaimed-name", status: 200 }),
  checkSubdomainAccess: () => ({
    path: "/v1/subdomains/unclaimed-name/access?user_id=alice",
    status: 200,
  }),
  registryResolve: () => ({ path: "/registry/resolve/unclaimed-name", status: 200 }),
  putTiers: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/tiers`,
    init: json("PUT", { tiers: [{ id: "free", name: "Free", price: 0, limit: 5 }] }),
    status: 200,
  }),
  listTiers: ({ creation }) => ({ path: `/v1/creations/${creation.id}/tiers`, status: 200 }),
  setUserPlan: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/users/end-user-1/plan`,
    init: json("PUT", { plan: "paid" }),
    status: 200,
  }),
  trackUsage: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/usage/track`,
    init: json("POST", { user_id: "end-user-1" }),
    status: 200,
  }),
  getUserUsage: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/usage/end-user-1`,
    status: 200,
  }),
  getDeveloperUsage: () => ({ path: "/v1/developer/usage", status: 200 }),
  consumeEntitlement: () => ({
    path: "/v1/me/entitlements/consume/rat_not-a-token",
    init: json("POST", {}),
    status: 403,
    code: "ENTITLEMENT_TOKEN_INVALID",
  }),
  captureDeposit: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/deposits/dep_bm9ib2R5.hold_00000000-0000-0000-0000-000000000000/capture`,
    init: json("POST", {}),
    status: 404,
    code: "DEPOSIT_NOT_FOUND",
  }),
  releaseDeposit: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/deposits/dep_bm9ib2R5.hold_00000000-0000-0000-0000-000000000000/release`,
    init: json("POST", {}),
    status: 404,
    code: "DEPOSIT_NOT_FOUND",
  }),
  salesSummary: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/sales/summary`,
    status: 200,
  }),
  regenerateDeveloperKey: () => ({
    path: "/v1/developer/regenerate-key",
    init: json("POST", {}),
    status: 403,
    code: "FORBIDDEN",
    keyStatus: 201,
  }),
  getUsageSummary: ({ creation }) => ({
    path: `/v1/creations/${creation.id}/usage`,
    status: 200,
  }),
};

/** A creation with money, a schedule, an active hold and a user's budget and access token. */
export async function fixture(): Promise<Fixture> {
  const creation = await createCreation("alice");
  await fundCreation(creation.id, 1_000);
  const owner = await bearer({ sub: "alice" });
  const schedule = await api(
    `/v1/creations/${creation.id}/schedules/existing`,
    jsonInit(
      "PUT",
      { delay_seconds: 60, target: { type: "room", room: "lobby", message: 1 } },
      owner,
    ),
  );
  expect(schedule.status).toBe(201);
  const hold = await post(`/v1/creations/${creation.id}/wallet/holds`, { amount: 10 }, owner);
  expect(hold.status).toBe(201);
  const { hold: held } = (await hold.json()) as { hold: { id: string } };
  const buyer = await bearer({ sub: "bob" });
  const budget = { creation_id: creation.id, limit: 100, period: "day" };
  expect((await post("/v1/me/authorizations/budget", budget, buyer)).status).toBe(201);
  const minted = await post("/v1/me/access-tokens", { creation_id: creation.id }, buyer);
  expect(minted.status).toBe(201);
  const { access_token } = (await minted.json()) as { access_token: string };
  return { creation, holdId: held.id, accessToken: access_token };
}

export function send(
  call: ReturnType<(typeof CALLS)[string]>,
  headers: Record<string, string>,
): Promise<Response> {
  return api(call.path, call.init ? call.init(headers) : { headers });
}

/** What a refused call must leave alone: the creation's money and its ledger. */
export async function moneyOf(creationId: string) {
  const wallet = creationWallet(creationId);
  const audit = await expectCleanAudit(wallet);
  const page = await wallet.transactions(
    `creation:${creationId}`,
    { type: "service", id: "platform", secret_index: 0 },
    { limit: 100 },
  );
  return { balance: audit.balance, held: audit.held, transactions: page.transactions.length };
}

export const creationRoutes = apiRoutes.filter(({ spec }) =>
  spec.auth === "optional" ? true : spec.auth !== "public" && spec.auth.includes("creation"),
);
