// A generation's money: the hold placed on the payer's wallet before the provider is called,
// and its settlement when the generation ends. The session acts on wallets as the platform (it
// is the platform's own metering); the wallet's idempotency keys are the generation's, so a
// retried settlement never charges twice.

import { clock } from "../../shared/clock.ts";
import { GENERATION_MAX_MS } from "../../shared/limits.ts";
import type { ServicePrincipal } from "../../shared/schemas/principal.ts";
import { actorByName } from "../refusal.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { creationAccount } from "../wallet/account.ts";
import type { Plan } from "./plan.ts";
import type { GenerationRow } from "./schema.ts";
import { EPHEMERAL_CHAT_PREFIX, type SessionStore } from "./store.ts";

const PLATFORM: ServicePrincipal = { type: "service", id: "platform", secret_index: 0 };

/** How long a hold outlives the longest generation, so settling never finds it expired. */
const HOLD_MARGIN_SECONDS = 10 * 60;

/** What the wallet transaction says: the chat, the generation, the model and the tokens. */
export function describe(row: GenerationRow): string {
  return `AI chat ${row.chat_id}: generation ${row.id} (${row.model}), ${row.input_tokens ?? 0} input and ${row.output_tokens ?? 0} output tokens`;
}

/** The creation's wallet holds for itself; a user who pays does so inside the budget they
 *  authorized for the creation (AUTH_* 403 otherwise), like every charge a creation makes. */
export async function placeHold(
  env: Env,
  creationId: string,
  generation: { id: string; chatId: string },
  plan: Pick<Plan, "payer" | "model">,
  amount: number,
): Promise<string> {
  const wallet = actorByName(env.WALLET, plan.payer);
  const hold = {
    amount,
    type: "ai",
    description: `AI chat ${generation.chatId}: generation ${generation.id} (${plan.model}), worst case`,
    ttl_seconds: Math.ceil(GENERATION_MAX_MS / 1000) + HOLD_MARGIN_SECONDS,
  };
  const key = `ai:${generation.id}:hold`;
  const placed =
    plan.payer === creationAccount(creationId)
      ? await wallet.hold(plan.payer, PLATFORM, hold, key)
      : await wallet.holdForCreation(
          plan.payer,
          PLATFORM,
          { ...hold, creation_id: creationId },
          key,
        );
  return placed.body.hold.id;
}

/** Captures the charge, releases a hold with nothing to charge, or (on a creation's own key,
 *  with no hold) records the use at 0 credits. Answers the payer's balance; throws when the
 *  wallet cannot be reached (the caller retries). */
export async function settleWallet(env: Env, payer: string, row: GenerationRow): Promise<number> {
  const wallet = actorByName(env.WALLET, payer);
  const charged = row.charged ?? 0;
  const settled = !row.hold_id
    ? await wallet.recordUsage(
        payer,
        PLATFORM,
        { type: "ai", description: `${describe(row)}, on the creation's own key` },
        `ai:${row.id}:usage`,
      )
    : charged > 0
      ? await wallet.capture(
          payer,
          PLATFORM,
          row.hold_id,
          { amount: charged, description: describe(row) },
          `ai:${row.id}:capture`,
        )
      : await wallet.release(payer, PLATFORM, row.hold_id, `ai:${row.id}:release`);
  return settled.body.balance;
}

export interface SettlementsHost {
  env: Env;
  store: SessionStore;
  identity(): { creationId: string; userId: string };
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
  settleTask: string;
}

const settleKey = (id: string) => `settle:${id}`;

/** Settling generations against their holds, retried by a job until the wallet answers. */
export class Settlements {
  constructor(private readonly host: SettlementsHost) {}

  /** Captures the charge (or releases the whole hold when there is none); the wallet's
   *  idempotency keys make a retry harmless. Answers the payer's balance, or null when the
   *  wallet could not be reached (a job retries until it is). */
  async settle(id: string): Promise<number | null> {
    const row = this.host.store.generation(id);
    if (!row || row.settled || (!row.hold_id && !row.own_key)) return null;
    const payer = row.payer ?? creationAccount(this.host.identity().creationId);
    try {
      const balance = await settleWallet(this.host.env, payer, row);
      this.host.store.markSettled(id);
      this.host.cancel(settleKey(id));
      return balance;
    } catch {
      this.host.schedule({
        key: settleKey(id),
        task: this.host.settleTask,
        payload: { generation_id: id },
        at: clock.now(),
      });
      return null;
    }
  }

  /** The settle job: a no-op once settled. */
  async retry(id: string): Promise<void> {
    const row = this.host.store.generation(id);
    if (!row || row.settled) return;
    if ((await this.settle(id)) === null && !this.host.store.generation(id)?.settled) {
      throw new Error(`generation ${id}: the wallet could not be settled yet`);
    }
    this.forgetIfEphemeral(id);
  }

  /** A stateless reply (seed 000's stream) keeps nothing once it has ended and is paid for. */
  forgetIfEphemeral(id: string): void {
    const row = this.host.store.generation(id);
    if (!row?.chat_id.startsWith(EPHEMERAL_CHAT_PREFIX) || row.ended_at === null) return;
    if (row.settled === 1 || (row.hold_id === null && !row.own_key)) {
      this.host.store.deleteChat(row.chat_id);
    }
  }
}
