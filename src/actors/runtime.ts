// The actor runtime as a part, not a base class: migrations applied before the first event,
// a scheduler on the one alarm, an outbox, and idempotency records. `Actor` (plain Durable
// Objects) and `RoomDO` (a partyserver Server) both build one, so every actor gets the same
// guarantees.

import * as v from "valibot";
import { SCHEDULER_RETRY_BASE_MS } from "../shared/limits.ts";
import { IDEMPOTENCY_PRUNE_TASK, IdempotencyStore } from "./idempotency.ts";
import { applyMigrations, type Migration } from "./migrations.ts";
import { INBOX_PRUNE_TASK, OUTBOX_DELIVER_TASK, Outbox } from "./outbox.ts";
import { RUNTIME_MIGRATIONS } from "./runtime-schema.ts";
import { type JobOutcome, Scheduler, type TaskDefinition, task } from "./scheduler.ts";

export interface RuntimeOptions {
  /** The actor's own schema, oldest first. */
  migrations: readonly Migration[];
  /** First retry delay of this actor's jobs, unless a task sets one. */
  retryBaseMs?: number;
  /** Finds the actor's named task; called when a job is scheduled or runs. */
  task: (name: string) => TaskDefinition | undefined;
  /** Called inside the transaction that records each job run. */
  onOutcome?: (outcome: JobOutcome) => void;
}

export class ActorRuntime {
  readonly scheduler: Scheduler;
  readonly outbox: Outbox;
  readonly idempotency: IdempotencyStore;

  constructor(ctx: DurableObjectState, env: Env, options: RuntimeOptions) {
    const runtimeTasks: Record<string, TaskDefinition> = {
      [OUTBOX_DELIVER_TASK]: task(v.object({ id: v.string() }), ({ id }) =>
        this.outbox.deliver(id),
      ),
      [INBOX_PRUNE_TASK]: task(v.null(), () => this.outbox.prune()),
      [IDEMPOTENCY_PRUNE_TASK]: task(v.null(), () => this.idempotency.prune()),
    };
    this.scheduler = new Scheduler(
      ctx.storage,
      (name) => runtimeTasks[name] ?? options.task(name),
      (outcome) => options.onOutcome?.(outcome),
      options.retryBaseMs ?? SCHEDULER_RETRY_BASE_MS,
    );
    this.outbox = new Outbox(ctx.storage, env, this.scheduler);
    this.idempotency = new IdempotencyStore(ctx.storage, this.scheduler);
    // blockConcurrencyWhile holds every request and alarm until the schema is current, so
    // no method ever sees a half-migrated database.
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, RUNTIME_MIGRATIONS, "runtime");
      applyMigrations(ctx.storage, options.migrations, "actor");
    });
  }
}
