// What the parts of a wallet (commerce.ts, entitlement-desk.ts, sales-desk.ts, deposit-flow.ts,
// transfer-desk.ts) use of their actor: its book, storage and idempotency records, its outbox and
// scheduler, and its gate. WalletDO builds one and hands it to each.

import type * as v from "valibot";
import type { JsonValue } from "../../shared/json.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { IdempotencyStore } from "../idempotency.ts";
import type { OutboxEnvelope } from "../outbox.ts";
import type { Opened, WalletBook } from "./book.ts";
import type { WalletGate } from "./gate.ts";
import type { PurchaseHost } from "./purchases.ts";
import type { TransferHost } from "./transfers.ts";

export interface WalletHost {
  env: Env;
  storage: DurableObjectStorage;
  book: WalletBook;
  idempotency: IdempotencyStore;
  /** The outbox, for an owner's transfer to their creation (transfers.ts). */
  transfers: TransferHost;
  /** The outbox and the scheduler, for the changes that send money on or arm a job. */
  purchases: PurchaseHost;
  /** Which wallet a call means and whether its caller may (gate.ts). */
  gate: WalletGate;
  /** Refuses while the user is disabled (user-status.ts). */
  requireUserEnabled(): void;
  /** Delivers an outbox message now (the scheduler retries it otherwise). */
  deliver(outboxId: string): Promise<unknown>;
  messageOf<S extends v.GenericSchema>(
    envelope: OutboxEnvelope<unknown>,
    schema: S,
  ): v.InferOutput<S>;
  receiveOnce(envelope: OutboxEnvelope<unknown>, apply: (message: JsonValue) => void): unknown;
}

/** Buying, paying and entitlements are a user's: a creation's wallet here is a bug. */
export function requireUser(account: Opened): void {
  if (account.kind !== "user") throw new Error(`${account.name} is not a user's wallet.`);
}

/** The agent acting for a user, whose id every transaction of the change carries. */
export const agentOf = (caller: Principal) =>
  caller.type === "user" ? (caller.agent?.id ?? null) : null;
