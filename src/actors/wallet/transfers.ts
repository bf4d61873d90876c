// An owner funds a creation's wallet from their own: the debit here and the credit message to
// the creation's wallet commit together (outbox), so money is never lost or made between the
// two; the credit is delivered at once and retried until it lands, and applied once.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import type { JsonValue } from "../../shared/json.ts";
import type { Deposit, DepositResult } from "../../shared/schemas/wallet.ts";
import type { IdempotencyStore, Replayable } from "../idempotency.ts";
import { creationAccount } from "./account.ts";
import type { Opened, WalletBook } from "./book.ts";

export const TransferMessageSchema = v.object({
  to: v.string(),
  from: v.string(),
  amount: v.number(),
  description: v.nullable(v.string()),
  transfer_id: v.string(),
});

export type TransferMessage = v.InferInput<typeof TransferMessageSchema>;

/** What a transfer needs from its actor: the outbox, to send the credit and deliver it now. */
export interface TransferHost {
  enqueue(
    binding: "WALLET",
    name: string,
    method: "receiveTransfer",
    message: TransferMessage & JsonValue,
  ): string;
  deliver(outboxId: string): Promise<unknown>;
}

export async function transferOut(
  book: WalletBook,
  idempotency: IdempotencyStore,
  host: TransferHost,
  request: {
    account: Opened;
    creationId: string;
    deposit: Deposit;
    key: string | undefined;
    /** The agent acting for the owner, when one is. */
    agentId: string | null;
  },
): Promise<Replayable<DepositResult>> {
  const { account, creationId, deposit, key, agentId } = request;
  let outboxId: string | null = null;
  const transfer = () => {
    const transaction = book.debit(
      account,
      {
        kind: "transfer_out",
        amount: deposit.amount,
        description: deposit.description,
        reference_id: deposit.reference_id ?? key,
        creation_id: creationId,
      },
      clock.now(),
    );
    const message = {
      to: creationAccount(creationId),
      from: account.name,
      amount: deposit.amount,
      description: deposit.description ?? null,
      transfer_id: transaction.id,
    };
    outboxId = host.enqueue("WALLET", message.to, "receiveTransfer", message);
    return { ...book.result(transaction), creation_balance: null };
  };
  const result = idempotency.run<DepositResult>(key, ["transfer", creationId, deposit], () =>
    book.ledger.attributed(agentId, transfer),
  );
  if (result.replayed) return result;
  // Deliver now so the caller sees the creation's new balance; a failure is retried by the
  // scheduler, and the receiver applies each transfer once whatever happens.
  const answer = outboxId
    ? ((await host.deliver(outboxId).catch(() => null)) as { balance?: number } | null)
    : null;
  const body = { ...result.body, creation_balance: answer?.balance ?? null };
  // A retry with the key must see this answer too, not the one stored before delivery.
  if (key !== undefined) idempotency.replaceBody(key, body);
  return { body, replayed: false };
}
