// A user's money toward creations: budgets that let a creation spend for them (seed 000's
// authorizations), and an owner funding their creation's wallet from their own (transfers.ts).
// WalletDO's RPC methods of the same names hand their calls here.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  type Authorization,
  type CreateBudget,
  CreateBudgetSchema,
} from "../../shared/schemas/authorization.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { type Deposit, type DepositResult, DepositSchema } from "../../shared/schemas/wallet.ts";
import type { Replayable } from "../idempotency.ts";
import type { OutboxEnvelope } from "../outbox.ts";
import { agentOf, type WalletHost } from "./host.ts";
import { type TransferMessage, TransferMessageSchema, transferOut } from "./transfers.ts";

export class TransferDesk {
  constructor(private readonly host: WalletHost) {}

  async grantBudget(name: string, caller: Principal, input: CreateBudget): Promise<Authorization> {
    await this.host.gate.opened(name, caller, ["owner"]);
    const budget = v.parse(CreateBudgetSchema, input);
    await this.host.book.requireCreation(budget.creation_id);
    this.host.requireUserEnabled();
    return this.host.storage.transactionSync(() =>
      this.host.book.budgets.grant(budget, clock.now()),
    );
  }

  async listBudgets(name: string, caller: Principal): Promise<Authorization[]> {
    await this.host.gate.opened(name, caller, ["owner", "admin", "service"]);
    return this.host.book.budgets.list(clock.now());
  }

  async revokeBudget(name: string, caller: Principal, id: string): Promise<Authorization> {
    await this.host.gate.opened(name, caller, ["owner"]);
    return this.host.book.budgets.revoke(id, clock.now());
  }

  /** The owner of a creation funds its wallet from their own (transfers.ts). */
  async transferToCreation(
    name: string,
    caller: Principal,
    creationId: string,
    input: Deposit,
    key?: string,
  ): Promise<Replayable<DepositResult>> {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
    const deposit = v.parse(DepositSchema, input);
    if (deposit.bucket !== undefined || deposit.expires_at !== undefined) {
      throw new ApiError("FORBIDDEN", "Only the platform may choose a bucket or an expiry.");
    }
    const creation = await this.host.book.requireCreation(creationId);
    if (creation.owner !== account.id) {
      throw new ApiError("FORBIDDEN", "Only the creation's owner may fund its wallet.");
    }
    return transferOut(this.host.book, this.host.idempotency, this.host.transfers, {
      account,
      creationId,
      deposit,
      key,
      agentId: agentOf(caller),
    });
  }

  /** Outbox receiver: credits a transfer from a user's wallet exactly once. */
  async receiveTransfer(
    envelope: OutboxEnvelope<TransferMessage>,
  ): Promise<{ transfer_id: string; balance: number }> {
    const message = this.host.messageOf(envelope, TransferMessageSchema);
    await this.host.book.open(message.to);
    this.host.receiveOnce(envelope, () => {
      this.host.book.credit("paid", message.amount, clock.now(), {
        kind: "deposit",
        description: message.description ?? `transfer from ${message.from}`,
        reference_id: message.transfer_id,
      });
    });
    return {
      transfer_id: message.transfer_id,
      balance: this.host.book.ledger.balance(clock.now()),
    };
  }
}
