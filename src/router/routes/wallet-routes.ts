// Wallet routes both kinds of account share: read a wallet, and refund a spend from it. Creation
// wallets and users' wallets differ in path, parameters and who may call; the rest is one thing.

import type { GenericSchema, InferOutput } from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import type { PrincipalType } from "../../shared/schemas/principal.ts";
import {
  RefundSchema,
  TransactionResultSchema,
  WalletSchema,
} from "../../shared/schemas/wallet.ts";
import { IDEMPOTENT_DESCRIPTION, replyOnce } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

export interface AccountRoutesSpec<P extends GenericSchema> {
  /** e.g. `/v1/creations/:id/wallet` */
  path: string;
  params: P;
  /** The wallet account the path names, e.g. `creation:<id>`. */
  account: (params: InferOutput<P>) => string;
  /** Operation ids and summaries name the account kind: "Creation", "User". */
  noun: "Creation" | "User";
  tag: string;
  readers: readonly PrincipalType[];
  /** The path parameter naming a creation, so a creation token reads only its own wallet. */
  creationParam?: string;
}

export function walletRoutesFor<P extends GenericSchema>(spec: AccountRoutesSpec<P>) {
  const wallet = (env: Env, params: InferOutput<P>) =>
    actorByName(env.WALLET, spec.account(params));
  // A creation's wallet checks its creation's tokens and keys itself (WalletDO).
  const scope = spec.creationParam
    ? { creationParam: spec.creationParam, credentialCheck: "actor" as const }
    : {};
  return [
    defineRoute(
      {
        method: "get",
        path: spec.path,
        operationId: `get${spec.noun}Wallet`,
        summary: `The ${spec.noun.toLowerCase()}'s balance, money on hold and buckets`,
        tag: spec.tag,
        auth: spec.readers,
        ...scope,
        scope: "wallet:read",
        params: spec.params,
        responses: { 200: { description: "The wallet", schema: WalletSchema } },
      },
      async (c, { principal, params }) =>
        c.json(await wallet(c.env, params).view(spec.account(params), principal)),
    ),
    defineRoute(
      {
        method: "post",
        path: `${spec.path}/refunds`,
        operationId: `refund${spec.noun}Spend`,
        summary: "Give back (part of) a spend or capture, once (platform only)",
        description: IDEMPOTENT_DESCRIPTION,
        idempotent: true,
        tag: spec.tag,
        auth: ["service"],
        params: spec.params,
        body: RefundSchema,
        responses: { 200: { description: "The refund", schema: TransactionResultSchema } },
      },
      async (c, { principal, params, body }) =>
        replyOnce(c, body, (key) =>
          wallet(c.env, params).refund(spec.account(params), principal, body, key),
        ),
    ),
  ];
}
