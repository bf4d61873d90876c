// Who funds a creation's wallet, and from where: its owner moves credits from their own user
// wallet (a transfer, debited there first); the platform deposits new credits directly.

import type { Principal } from "../../shared/schemas/principal.ts";
import type { Deposit, DepositResult, TransactionResult } from "../../shared/schemas/wallet.ts";
import type { Replayable } from "../idempotency.ts";
import { actorByName } from "../refusal.ts";
import { creationAccount, userAccount } from "./account.ts";

export function fundCreation(
  env: Env,
  caller: Principal,
  creationId: string,
  deposit: Deposit,
  key: string | undefined,
): Promise<Replayable<DepositResult | TransactionResult>> {
  if (caller.type === "user") {
    const owner = userAccount(caller.id);
    return actorByName(env.WALLET, owner).transferToCreation(
      owner,
      caller,
      creationId,
      deposit,
      key,
    );
  }
  const account = creationAccount(creationId);
  return actorByName(env.WALLET, account).deposit(account, caller, deposit, key);
}
