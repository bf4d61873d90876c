// Messages to other actors, written in the same transaction as the local change that causes
// them and delivered by the scheduler with retries. Every message carries an id; receivers
// remember the ids they applied, so a repeated delivery has its effect exactly once.

import * as v from "valibot";
import { clock } from "../shared/clock.ts";
import { type JsonValue, JsonValueSchema } from "../shared/json.ts";
import { DEDUP_RETENTION_MS } from "../shared/limits.ts";
import { actorByName } from "./refusal.ts";
import type { Scheduler } from "./scheduler.ts";

export const OUTBOX_DELIVER_TASK = "runtime.outbox.deliver";
export const INBOX_PRUNE_TASK = "runtime.inbox.prune";
const INBOX_PRUNE_KEY = "runtime:inbox-prune";
const INBOX_PRUNE_CRON = "17 3 * * *";

/** A binding name; delivery checks it is a Durable Object namespace. (A mapped type picking
 * only namespaces would be circular, since actor classes mention this type themselves.) */
export type ActorBinding = Extract<keyof Cloudflare.Env, string>;

export const OutboxEnvelopeSchema = v.object({
  id: v.pipe(v.string(), v.uuid()),
  message: JsonValueSchema,
});

/** What a receiver method takes: the message id (for exactly-once) and the message `M`. */
export interface OutboxEnvelope<M = JsonValue> {
  id: string;
  message: M;
}

// Typed messages: the actor class behind a binding, its receiver methods (those taking exactly
// one OutboxEnvelope) and the message each expects. A wrong method name or message shape then
// fails to compile at enqueue(), instead of failing at delivery after every retry.
type ActorOf<B extends ActorBinding> =
  Cloudflare.Env[B] extends DurableObjectNamespace<infer C> ? C : never;
type EnvelopeMessage<F> = F extends (...args: infer A) => unknown
  ? A extends [OutboxEnvelope<infer M>]
    ? [OutboxEnvelope<M>] extends A
      ? M
      : never
    : never
  : never;
export type ReceiverOf<B extends ActorBinding> = {
  [K in keyof ActorOf<B>]: [EnvelopeMessage<ActorOf<B>[K]>] extends [never] ? never : K;
}[keyof ActorOf<B>] &
  string;
export type MessageFor<B extends ActorBinding, K extends ReceiverOf<B>> = EnvelopeMessage<
  ActorOf<B>[K]
>;

type OutboxRow = { id: string; binding: string; name: string; method: string; message: string };
type EnvelopeReceiver = (envelope: OutboxEnvelope) => Promise<unknown>;

const deliveryKey = (id: string) => `outbox:${id}`;

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof (value as DurableObjectNamespace | undefined)?.getByName === "function";
}

export class Outbox {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Records a message for `method` on the actor `name` of `binding` and schedules its delivery.
   * Call it in the same synchronous block as the local change (or inside transactionSync):
   * both are then committed together or not at all.
   */
  enqueue(binding: ActorBinding, name: string, method: string, message: JsonValue): string {
    const id = crypto.randomUUID();
    this.storage.sql.exec(
      "INSERT INTO _troupe_outbox (id, binding, name, method, message, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      binding,
      name,
      method,
      JSON.stringify(message ?? null),
      clock.now(),
    );
    this.scheduler.schedule({
      key: deliveryKey(id),
      task: OUTBOX_DELIVER_TASK,
      payload: { id },
      delayMs: 0,
    });
    return id;
  }

  /**
   * Sends one message and returns the receiver's answer; throws (so the scheduler retries)
   * until the receiver accepts it. Also called directly to deliver at once: a message sent
   * twice that way is applied once by the receiver.
   */
  async deliver(id: string): Promise<unknown> {
    const row = this.storage.sql
      .exec<OutboxRow>("SELECT * FROM _troupe_outbox WHERE id = ?", id)
      .toArray()[0];
    if (!row) return undefined; // already delivered
    const namespace = (this.env as unknown as Record<string, unknown>)[row.binding];
    if (!isNamespace(namespace)) throw new Error(`${row.binding} is not a Durable Object binding`);
    const stub = actorByName(namespace, row.name) as unknown as Record<string, EnvelopeReceiver>;
    const receive = stub[row.method];
    if (typeof receive !== "function")
      throw new Error(`${row.binding} has no method ${row.method}`);
    // A refusal (unwrapped into its ApiError) fails this attempt, as any error does.
    const answer = await receive({ id: row.id, message: JSON.parse(row.message) });
    this.storage.sql.exec("DELETE FROM _troupe_outbox WHERE id = ?", id);
    this.scheduler.cancel(deliveryKey(id)); // when delivered at once, the job has nothing left
    return answer;
  }

  pending(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _troupe_outbox").one().n;
  }

  /**
   * Applies a received message once. `apply` must be synchronous: it runs in one transaction
   * with the record of the id, so the effect and the memory of it cannot be separated.
   */
  receiveOnce<T>(
    envelope: unknown,
    apply: (message: JsonValue) => T,
  ): { applied: boolean; result?: T } {
    const { id, message } = v.parse(OutboxEnvelopeSchema, envelope);
    const outcome = this.storage.transactionSync(() => {
      const seen = this.storage.sql.exec("SELECT id FROM _troupe_inbox WHERE id = ?", id).toArray();
      if (seen.length > 0) return { applied: false };
      const result = apply(message);
      this.storage.sql.exec(
        "INSERT INTO _troupe_inbox (id, received_at) VALUES (?, ?)",
        id,
        clock.now(),
      );
      return { applied: true, result };
    });
    if (outcome.applied) {
      this.scheduler.ensure({
        key: INBOX_PRUNE_KEY,
        task: INBOX_PRUNE_TASK,
        cron: INBOX_PRUNE_CRON,
      });
    }
    return outcome;
  }

  /** Forgets ids older than DEDUP_RETENTION_MS; senders give up long before that. */
  prune(now = clock.now()): number {
    return this.storage.sql.exec(
      "DELETE FROM _troupe_inbox WHERE received_at < ?",
      now - DEDUP_RETENTION_MS,
    ).rowsWritten;
  }
}
