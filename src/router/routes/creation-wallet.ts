import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { creationAccount } from "../../actors/wallet/account.ts";
import { fundCreation } from "../../actors/wallet/funding.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import {
  CaptureSchema,
  DepositResultSchema,
  DepositSchema,
  HoldParamsSchema,
  HoldResultSchema,
  HoldSchema,
  ReleaseSchema,
  SpendSchema,
  TransactionPageSchema,
  TransactionResultSchema,
  TransactionsQuerySchema,
} from "../../shared/schemas/wallet.ts";
import { IDEMPOTENT_DESCRIPTION, replyOnce } from "../idempotency.ts";
import { defineRoute } from "../route.ts";
import { walletRoutesFor } from "./wallet-routes.ts";

const tag = "creation wallets";
const wallet = (env: Env, creationId: string) =>
  actorByName(env.WALLET, creationAccount(creationId));
const account = creationAccount;
const anyone = ["user", "service", "creation"] as const;
const insufficient = {
  description: "INSUFFICIENT_CREATION_FUNDS with balance, required, shortfall",
};

export const creationWalletRoutes = [
  ...walletRoutesFor({
    path: "/v1/creations/:id/wallet",
    params: CreationParamsSchema,
    account: ({ id }) => creationAccount(id),
    noun: "Creation",
    tag,
    readers: anyone,
    creationParam: "id",
  }),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/wallet/deposit",
      operationId: "depositToCreationWallet",
      summary: "Fund the creation's wallet: the owner from their own wallet, or the platform",
      description: `The owner's deposit moves credits from the owner's wallet (402 INSUFFICIENT_CREDITS when it is short); \`creation_balance\` is the creation's balance after it, or null if the credit is still on its way. ${IDEMPOTENT_DESCRIPTION}`,
      idempotent: true,
      tag,
      auth: ["user", "service"],
      params: CreationParamsSchema,
      body: DepositSchema,
      responses: { 200: { description: "The deposit", schema: DepositResultSchema } },
    },
    async (c, { principal, params, body }) =>
      replyOnce(c, body, (key) => fundCreation(c.env, principal, params.id, body, key)),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/wallet/spend",
      operationId: "spendFromCreationWallet",
      summary: "Debit the creation's wallet (its own token, the owner or the platform)",
      description: IDEMPOTENT_DESCRIPTION,
      idempotent: true,
      tag,
      auth: anyone,
      creationParam: "id",
      scope: "wallet:write",
      liveKeysOnly: true,
      credentialCheck: "actor",
      params: CreationParamsSchema,
      body: SpendSchema,
      responses: {
        200: { description: "The spend and the new balance", schema: TransactionResultSchema },
        402: insufficient,
      },
    },
    async (c, { principal, params, body }) =>
      replyOnce(c, body, (key) =>
        wallet(c.env, params.id).spend(account(params.id), principal, body, key),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/wallet/holds",
      operationId: "holdCreationFunds",
      summary: "Reserve funds for ttl_seconds (default 300); capture or release them later",
      description: IDEMPOTENT_DESCRIPTION,
      idempotent: true,
      tag,
      auth: anyone,
      creationParam: "id",
      scope: "wallet:write",
      liveKeysOnly: true,
      credentialCheck: "actor",
      params: CreationParamsSchema,
      body: HoldSchema,
      responses: { 201: { description: "The hold", schema: HoldResultSchema }, 402: insufficient },
    },
    async (c, { principal, params, body }) =>
      replyOnce(
        c,
        body,
        (key) => wallet(c.env, params.id).hold(account(params.id), principal, body, key),
        201,
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/wallet/holds/:hold_id/capture",
      operationId: "captureCreationHold",
      summary: "Keep up to the amount held (default all); the rest returns to the wallet",
      description: IDEMPOTENT_DESCRIPTION,
      idempotent: true,
      tag,
      auth: anyone,
      creationParam: "id",
      scope: "wallet:write",
      liveKeysOnly: true,
      credentialCheck: "actor",
      params: HoldParamsSchema,
      body: v.optional(CaptureSchema, {}),
      responses: { 200: { description: "The settled hold", schema: HoldResultSchema } },
    },
    async (c, { principal, params, body }) =>
      replyOnce(c, body, (key) =>
        wallet(c.env, params.id).capture(account(params.id), principal, params.hold_id, body, key),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/wallet/holds/:hold_id/release",
      operationId: "releaseCreationHold",
      summary: "Return everything a hold reserved",
      description: IDEMPOTENT_DESCRIPTION,
      idempotent: true,
      tag,
      auth: anyone,
      creationParam: "id",
      scope: "wallet:write",
      liveKeysOnly: true,
      credentialCheck: "actor",
      params: HoldParamsSchema,
      body: v.optional(ReleaseSchema, {}),
      responses: { 200: { description: "The released hold", schema: HoldResultSchema } },
    },
    async (c, { principal, params, body }) =>
      replyOnce(c, body, (key) =>
        wallet(c.env, params.id).release(account(params.id), principal, params.hold_id, key),
      ),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/wallet/transactions",
      operationId: "listCreationTransactions",
      summary: "The creation's ledger, newest first, a page at a time",
      tag,
      auth: anyone,
      creationParam: "id",
      scope: "wallet:read",
      credentialCheck: "actor",
      params: CreationParamsSchema,
      query: TransactionsQuerySchema,
      responses: { 200: { description: "One page", schema: TransactionPageSchema } },
    },
    async (c, { principal, params, query }) =>
      c.json(await wallet(c.env, params.id).transactions(account(params.id), principal, query)),
  ),
];
