// The base of every troupe actor: one writer per concept, its own SQLite as the source of
// truth, a schema brought up to date before the first request is let in, a scheduler that
// multiplexes jobs on the one alarm, and an outbox for messages to other actors.

import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import type { JsonValue } from "../shared/json.ts";
import { SCHEDULER_RETRY_BASE_MS } from "../shared/limits.ts";
import type { IdempotencyStore } from "./idempotency.ts";
import type { Migration } from "./migrations.ts";
import {
  type ActorBinding,
  type MessageFor,
  type Outbox,
  type OutboxEnvelope,
  OutboxEnvelopeSchema,
  type ReceiverOf,
} from "./outbox.ts";
import { ActorRuntime } from "./runtime.ts";
import type {
  DeadLetter,
  JobOutcome,
  ScheduledJob,
  ScheduleRequest,
  Scheduler,
  TaskRegistry,
} from "./scheduler.ts";

export type { Migration } from "./migrations.ts";
export type { ActorBinding, OutboxEnvelope } from "./outbox.ts";
export { type JobContext, type JobOutcome, type TaskRegistry, task } from "./scheduler.ts";

export abstract class Actor<E extends Env = Env> extends DurableObject<E> {
  /**
   * The actor's schema, oldest first. Declared as a static so the base constructor can read
   * it before subclass fields exist. Append only: never edit or reorder a deployed entry.
   */
  static readonly migrations: readonly Migration[] = [];

  /** First retry delay of this actor's jobs (outbox deliveries included), unless a task sets one. */
  static readonly retryBaseMs: number = SCHEDULER_RETRY_BASE_MS;

  protected readonly sql: SqlStorage;
  /** Named task handlers this actor's jobs may run; subclasses override. */
  protected readonly tasks: TaskRegistry = {};
  protected readonly scheduler: Scheduler;
  protected readonly outbox: Outbox;
  /** Idempotency keys and the answers they got (see idempotency.ts). */
  protected readonly idempotency: IdempotencyStore;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const { migrations, retryBaseMs } = new.target as unknown as typeof Actor;
    const runtime = new ActorRuntime(ctx, env, {
      migrations,
      retryBaseMs,
      task: (name) => this.tasks[name],
      onOutcome: (outcome) => this.onJobOutcome(outcome),
    });
    this.scheduler = runtime.scheduler;
    this.outbox = runtime.outbox;
    this.idempotency = runtime.idempotency;
  }

  /** The one alarm: runs every due job, then points itself at the next one. */
  override async alarm(): Promise<void> {
    await this.scheduler.runDue();
  }

  /** Jobs waiting to run, earliest first (RPC, for operators and tests). */
  listSchedules(): ScheduledJob[] {
    return this.scheduler.list();
  }

  /** Jobs that failed every attempt (RPC, for operators and tests). */
  listDeadLetters(): DeadLetter[] {
    return this.scheduler.deadLetters();
  }

  protected schedule(request: ScheduleRequest): number {
    return this.scheduler.schedule(request);
  }

  protected cancel(key: string): boolean {
    return this.scheduler.cancel(key);
  }

  /**
   * See Outbox.enqueue: call in the same synchronous block as the change that causes it. The
   * method must be a receiver of the actor behind `binding`, and the message its message type.
   */
  protected enqueue<B extends ActorBinding, M extends ReceiverOf<B>>(
    binding: B,
    name: string,
    method: M,
    message: MessageFor<B, M> & JsonValue,
  ): string {
    return this.outbox.enqueue(binding, name, method, message);
  }

  /** A received message, parsed with the receiver's schema (a delivery is input like any other). */
  protected messageOf<S extends v.GenericSchema>(
    envelope: OutboxEnvelope<v.InferInput<S>>,
    schema: S,
  ): v.InferOutput<S> {
    return v.parse(schema, v.parse(OutboxEnvelopeSchema, envelope).message);
  }

  /** See Outbox.receiveOnce: applies an outbox message's effect exactly once. */
  protected receiveOnce<T>(envelope: OutboxEnvelope<unknown>, apply: (message: JsonValue) => T) {
    return this.outbox.receiveOnce(envelope, apply);
  }

  /** Called inside the transaction that records each job run; override to mirror status. */
  protected onJobOutcome(_outcome: JobOutcome): void {}
}
