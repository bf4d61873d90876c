// Deposits (seed 000's holdDeposit), the flow: a user holds credits for one creation; the
// creation captures up to what is held (its share reaching its wallet as for a payment) or
// releases them; the wallet's hold expiry job releases what nobody settled. The table and the
// ids are in deposits.ts; the money moves through the wallet's holds.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import {
  type CaptureDeposit,
  CaptureDepositSchema,
  type DepositView,
  type OpenDeposit,
  OpenDepositSchema,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { iso } from "../../shared/time.ts";
import type { Replayable } from "../idempotency.ts";
import { actorByName } from "../refusal.ts";
import { creationAccount, insufficientFunds } from "./account.ts";
import { EXPIRE_HOLD_TASK, holdJobKey } from "./book.ts";
import { Deposits } from "./deposits.ts";
import { requireUser, type WalletHost } from "./host.ts";
import { creatorShareOf } from "./purchases.ts";
import { depositId } from "./routed-ids.ts";
import type { SaleMessage } from "./sales.ts";

export class WalletDeposits {
  private readonly deposits: Deposits;

  constructor(private readonly host: WalletHost) {
    this.deposits = new Deposits(host.storage.sql);
  }

  /** The user holds credits for a creation until it captures or releases them, or they expire. */
  async openDeposit(
    name: string,
    caller: Principal,
    input: OpenDeposit,
  ): Promise<Replayable<DepositView>> {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
    requireUser(account);
    const deposit = v.parse(OpenDepositSchema, input);
    const key = `deposit:${deposit.client_operation_id}`;
    const request = ["deposit", deposit.creation_id, deposit.amount, deposit.ttl_seconds];
    const prior = this.host.idempotency.peek<DepositView>(key, request);
    if (prior) return prior;
    this.host.requireUserEnabled();
    const terms = await actorByName(this.host.env.CREATION, deposit.creation_id).paymentTerms();
    return this.host.idempotency.run(key, request, () => {
      const { book } = this.host;
      const now = clock.now();
      const expiresAt = now + deposit.ttl_seconds * 1000;
      const placed = book.holds.place(
        {
          amount: deposit.amount,
          expiresAt,
          entry: {
            type: "deposit",
            description: deposit.description ?? "Deposit",
            reference_id: deposit.client_operation_id,
            creation_id: deposit.creation_id,
          },
        },
        now,
      );
      if (!placed) throw insufficientFunds(account, book.ledger.balance(now), deposit.amount);
      this.host.purchases.schedule({
        key: holdJobKey(placed.hold.id),
        task: EXPIRE_HOLD_TASK,
        payload: { hold_id: placed.hold.id },
        at: expiresAt,
      });
      this.deposits.record({
        hold_id: placed.hold.id,
        creation_id: deposit.creation_id,
        creator_share_pct: terms.creator_share_pct,
        created_at: now,
      });
      return {
        ...this.depositView(account.id, placed.hold.id, deposit.creation_id, null),
        balance: book.ledger.balance(now),
      };
    });
  }

  /** The creation keeps up to what is held; its share reaches its wallet as for a payment. A
   *  retry with the same amount gets the first answer. */
  async captureDeposit(
    name: string,
    holdId: string,
    creationId: string,
    input: CaptureDeposit,
  ): Promise<Replayable<DepositView>> {
    this.host.gate.requireWallet(name, "user");
    // Before opening: an id naming no deposit must not open a wallet for whoever it names.
    this.deposits.require(holdId, creationId);
    const account = await this.host.book.open(name);
    const capture = v.parse(CaptureDepositSchema, input);
    let outboxId: string | null = null;
    const result = this.host.storage.transactionSync((): Replayable<DepositView> => {
      const row = this.deposits.require(holdId, creationId);
      const { book } = this.host;
      const held = book.holds.get(holdId);
      // A retry of the capture that settled it gets the same answer; anything else is refused
      // by the hold (HOLD_NOT_ACTIVE, CAPTURE_EXCEEDS_HOLD) and changes nothing.
      if (held.status === "captured" && held.captured === (capture.amount ?? held.amount)) {
        const share = creatorShareOf(held.captured, row.creator_share_pct);
        return { body: this.depositView(account.id, holdId, creationId, share), replayed: true };
      }
      const now = clock.now();
      const settled = book.holds.capture(holdId, capture.amount, capture.description, now);
      this.host.purchases.cancel(holdJobKey(holdId));
      const captured = settled.hold.captured ?? 0;
      const share = creatorShareOf(captured, row.creator_share_pct);
      const sale: SaleMessage = {
        to: creationAccount(creationId),
        from: account.name,
        sale_id: settled.transaction.id,
        kind: "payment",
        sku: null,
        gross: captured,
        creator_share: share,
        sold_at: now,
        description: `Deposit captured: ${settled.hold.description ?? "deposit"}`,
      };
      outboxId = this.host.purchases.enqueue("WALLET", sale.to, "receiveSale", sale);
      return { body: this.depositView(account.id, holdId, creationId, share), replayed: false };
    });
    if (outboxId) await this.host.deliver(outboxId).catch(() => null);
    return result;
  }

  /** The creation gives the whole deposit back to the user. */
  async releaseDeposit(name: string, holdId: string, creationId: string): Promise<DepositView> {
    this.host.gate.requireWallet(name, "user");
    this.deposits.require(holdId, creationId);
    const account = await this.host.book.open(name);
    return this.host.storage.transactionSync(() => {
      this.deposits.require(holdId, creationId);
      this.host.book.holds.release(holdId, "released", clock.now());
      this.host.purchases.cancel(holdJobKey(holdId));
      return this.depositView(account.id, holdId, creationId, null);
    });
  }

  private depositView(
    userId: string,
    holdId: string,
    creationId: string,
    creatorShare: number | null,
  ): DepositView {
    const hold = this.host.book.holds.get(holdId);
    return {
      deposit_id: depositId(userId, holdId),
      creation_id: creationId,
      amount: hold.amount,
      status: hold.status,
      captured: hold.captured,
      creator_share: creatorShare,
      expires_at: iso(hold.expires_at),
    };
  }
}
