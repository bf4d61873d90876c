// Wallet accounts are named `creation:<id>` or `user:<id>`; the name is the actor's name.

import { ApiError } from "../../shared/errors.ts";

export type Account = { kind: "creation"; id: string } | { kind: "user"; id: string };

export const creationAccount = (creationId: string) => `creation:${creationId}`;
export const userAccount = (userId: string) => `user:${userId}`;

export function parseAccount(name: string): Account {
  const [kind, ...rest] = name.split(":");
  const id = rest.join(":");
  if ((kind === "creation" || kind === "user") && id) return { kind, id };
  throw new Error(`"${name}" is not a wallet account (creation:<id> or user:<id>).`);
}

/** 402 with the figures a client needs to ask for a top-up (seed 000 for creations). */
export function insufficientFunds(
  account: Account,
  balance: number,
  required: number,
  extensions: Record<string, unknown> = {},
): ApiError {
  const figures = { balance, required, shortfall: required - balance, ...extensions };
  return account.kind === "creation"
    ? new ApiError(
        "INSUFFICIENT_CREATION_FUNDS",
        `The creation's wallet holds ${balance} and this needs ${required}; the owner can top it up.`,
        figures,
      )
    : new ApiError(
        "INSUFFICIENT_CREDITS",
        `The wallet holds ${balance} and this needs ${required}.`,
        figures,
      );
}
