import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  AccessTokenSchema,
  AuthorizationParamsSchema,
  AuthorizationSchema,
  CreateAccessTokenSchema,
  CreateBudgetSchema,
  MeSpendSchema,
} from "../../shared/schemas/authorization.ts";
import {
  DepositSchema,
  TransactionPageSchema,
  TransactionResultSchema,
  TransactionsQuerySchema,
  UserWalletParamsSchema,
  WalletSchema,
} from "../../shared/schemas/wallet.ts";
import { issueAccessToken, userBehindAccessToken } from "../auth/access-token.ts";
import { IDEMPOTENT_DESCRIPTION, idempotencyKey, reply, replyOnce } from "../idempotency.ts";
import { defineRoute } from "../route.ts";
import { walletRoutesFor } from "./wallet-routes.ts";

const tag = "user wallets";
const wallet = (env: Env, userId: string) => actorByName(env.WALLET, userAccount(userId));

export const userWalletRoutes = [
  ...walletRoutesFor({
    path: "/v1/users/:user_id/wallet",
    params: UserWalletParamsSchema,
    account: ({ user_id }) => userAccount(user_id),
    noun: "User",
    tag,
    readers: ["service"],
  }),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/wallet",
      operationId: "getMyWallet",
      summary: "The caller's balance and buckets (welcome grant, today's gift, paid credits)",
      tag,
      auth: ["user"],
      responses: { 200: { description: "The wallet", schema: WalletSchema } },
    },
    async (c, { principal }) =>
      c.json(await wallet(c.env, principal.id).view(userAccount(principal.id), principal)),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/wallet/transactions",
      operationId: "listMyTransactions",
      summary: "The caller's ledger, newest first",
      tag,
      auth: ["user"],
      query: TransactionsQuerySchema,
      responses: { 200: { description: "One page", schema: TransactionPageSchema } },
    },
    async (c, { principal, query }) =>
      c.json(
        await wallet(c.env, principal.id).transactions(userAccount(principal.id), principal, query),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/credits/spend",
      operationId: "spendMyCredits",
      summary: "Spend from the caller's wallet, or (a creation) from a user's within their budget",
      description: `A creation's rct_ token must send on_behalf_of_access_token and reference_id, and stays inside the budget the user authorized (403 AUTH_*, and AUTH_USER_DISABLED while an operator has the user disabled). ${IDEMPOTENT_DESCRIPTION}`,
      idempotent: true,
      tag,
      auth: ["user", "creation"],
      scope: "users:charge",
      liveKeysOnly: true,
      body: MeSpendSchema,
      responses: {
        200: { description: "The spend and the new balance", schema: TransactionResultSchema },
        402: { description: "INSUFFICIENT_CREDITS with balance, required, shortfall" },
      },
    },
    async (c, { principal, body }) => {
      const { on_behalf_of_access_token: token, ...spend } = body;
      const key = idempotencyKey(c, spend);
      if (principal.type === "user") {
        if (token) throw new ApiError("FORBIDDEN", "on_behalf_of_access_token is for creations.");
        return reply(
          c,
          await wallet(c.env, principal.id).spend(userAccount(principal.id), principal, spend, key),
        );
      }
      const userId = await userBehindAccessToken(c.env, principal, token);
      return reply(
        c,
        await wallet(c.env, userId).spendOnBehalf(userAccount(userId), principal, spend, key),
      );
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/authorizations/budget",
      operationId: "grantBudget",
      summary: "Let a creation spend from the caller's wallet, up to a limit per period",
      description:
        "Replaces an active budget the caller gave the same creation. 403 AUTH_USER_DISABLED while the caller is disabled.",
      tag,
      auth: ["user"],
      body: CreateBudgetSchema,
      responses: { 201: { description: "The authorization", schema: AuthorizationSchema } },
    },
    async (c, { principal, body }) =>
      c.json(
        await wallet(c.env, principal.id).grantBudget(userAccount(principal.id), principal, body),
        201,
      ),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/authorizations",
      operationId: "listAuthorizations",
      summary: "The caller's budget authorizations, newest first, with what is left",
      tag,
      auth: ["user"],
      responses: { 200: { description: "Authorizations", schema: v.array(AuthorizationSchema) } },
    },
    async (c, { principal }) =>
      c.json(await wallet(c.env, principal.id).listBudgets(userAccount(principal.id), principal)),
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/me/authorizations/:authorization_id",
      operationId: "revokeAuthorization",
      summary: "Revoke a budget authorization; the creation's next spend is 403",
      tag,
      auth: ["user"],
      params: AuthorizationParamsSchema,
      responses: { 200: { description: "The revoked authorization", schema: AuthorizationSchema } },
    },
    async (c, { principal, params }) =>
      c.json(
        await wallet(c.env, principal.id).revokeBudget(
          userAccount(principal.id),
          principal,
          params.authorization_id,
        ),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/access-tokens",
      operationId: "createAccessToken",
      summary: "Mint a 30-minute rat_ token that lets one creation act for the caller",
      description: "403 AUTH_USER_DISABLED while the caller is disabled.",
      tag,
      auth: ["user"],
      mintsCredentials: true,
      body: CreateAccessTokenSchema,
      responses: { 201: { description: "The token", schema: AccessTokenSchema } },
    },
    async (c, { principal, body }) =>
      c.json(await issueAccessToken(c.env, principal.id, body.creation_id), 201),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/users/:user_id/wallet/deposit",
      operationId: "depositToUserWallet",
      summary:
        "Credit a user's wallet: paid credits, or bonus credits that may expire (platform only)",
      description: IDEMPOTENT_DESCRIPTION,
      idempotent: true,
      tag,
      auth: ["service"],
      params: UserWalletParamsSchema,
      body: DepositSchema,
      responses: { 200: { description: "The deposit", schema: TransactionResultSchema } },
    },
    async (c, { principal, params, body }) =>
      replyOnce(c, body, (key) =>
        wallet(c.env, params.user_id).deposit(userAccount(params.user_id), principal, body, key),
      ),
  ),
];
