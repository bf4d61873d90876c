// Idempotency records, a part of every actor's runtime: a key remembers the request it was first
// used with and the response it got, so a retry is answered from the record instead of being
// applied again. Kept DEDUP_RETENTION_MS, the one retention rule of everything that remembers
// what was already done (the outbox's inbox of message ids too); pruned by a daily job.

import { clock } from "../shared/clock.ts";
import { ApiError, asApiError, type ErrorCode } from "../shared/errors.ts";
import { canonicalJson, type JsonValue } from "../shared/json.ts";
import { DEDUP_RETENTION_MS } from "../shared/limits.ts";
import type { Scheduler } from "./scheduler.ts";

export const IDEMPOTENCY_PRUNE_TASK = "runtime.idempotency.prune";
const IDEMPOTENCY_PRUNE_KEY = "runtime:idempotency-prune";
const IDEMPOTENCY_PRUNE_CRON = "23 4 * * *";

/** A response as the router sends it; `replayed` tells a retry it got the stored answer. */
export interface Replayable<T> {
  body: T;
  replayed: boolean;
}

/** Business outcomes a retry must see again. Validation errors are not stored: fixing the
 * request and retrying with the same key is then allowed, as nothing was applied. */
const STORED_ERRORS = new Set<ErrorCode>([
  "INSUFFICIENT_CREATION_FUNDS",
  "INSUFFICIENT_CREDITS",
  "HOLD_NOT_ACTIVE",
  "CAPTURE_EXCEEDS_HOLD",
  "ALREADY_REFUNDED",
  "REFUND_EXCEEDS_SPEND",
  "NOT_REFUNDABLE",
  "AUTH_BUDGET_EXCEEDED",
  "ALREADY_PURCHASED",
]);

type StoredError = { code: ErrorCode; detail: string; extensions: Record<string, unknown> };
type Record_ = { fingerprint: string; status: number; body: string };

export class IdempotencyStore {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Runs `apply` once per key. `request` is everything that makes two calls the same (the
   * operation, the caller and the input): a key reused with another request is 422
   * IDEMPOTENCY_KEY_REUSED. `apply` must be synchronous; it runs in a transaction that is
   * rolled back if it throws, and the record is written with its outcome.
   */
  run<T extends JsonValue | object>(
    key: string | undefined,
    request: unknown,
    apply: () => T,
    now = clock.now(),
  ): Replayable<T> {
    if (key === undefined) return { body: this.storage.transactionSync(apply), replayed: false };
    const fingerprint = canonicalJson(request);
    let outcome: { body: T } | { stored: Record_ } | { error: ApiError };
    try {
      outcome = this.storage.transactionSync(() => {
        const stored = this.find(key);
        if (stored) return { stored: this.sameRequest(stored, fingerprint, key) };
        const body = apply();
        this.save(key, fingerprint, 200, body, now);
        return { body };
      });
    } catch (error) {
      // The effect rolled back with its transaction. A business refusal is remembered in a
      // transaction of its own (nothing ran in between: no await), so a retry sees it again.
      const problem = asApiError(error);
      if (!problem || !STORED_ERRORS.has(problem.code)) throw error;
      const stored: StoredError = {
        code: problem.code,
        detail: problem.detail,
        extensions: problem.extensions,
      };
      this.storage.transactionSync(() => this.save(key, fingerprint, problem.status, stored, now));
      outcome = { error: problem };
    }
    // After the commit (never inside a transaction that could still roll back): the first
    // record starts the daily clean-up, which then runs for as long as the actor lives.
    this.scheduler.ensure({
      key: IDEMPOTENCY_PRUNE_KEY,
      task: IDEMPOTENCY_PRUNE_TASK,
      cron: IDEMPOTENCY_PRUNE_CRON,
    });
    if ("error" in outcome) throw outcome.error;
    if ("stored" in outcome) return replay<T>(outcome.stored);
    return { body: outcome.body, replayed: false };
  }

  /**
   * The stored answer of `key` for the same request (a refusal rethrown), or null when the key
   * is new: for a change that must read another actor before it runs, so a retry is answered
   * without asking again. The change itself still goes through run(), which checks once more.
   */
  peek<T>(key: string, request: unknown): Replayable<T> | null {
    const stored = this.find(key);
    return stored ? replay<T>(this.sameRequest(stored, canonicalJson(request), key)) : null;
  }

  /** The stored record of `key`, when it was made for the same request; 422 otherwise. */
  private sameRequest(stored: Record_, fingerprint: string, key: string): Record_ {
    if (stored.fingerprint !== fingerprint) {
      throw new ApiError(
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used with a different request; use a new key.",
        { idempotency_key: key },
      );
    }
    return stored;
  }

  /** Replaces a stored success body with the final one, when the answer was completed after
   * the effect's transaction (a transfer delivered to another actor). */
  replaceBody(key: string, body: unknown): void {
    this.storage.sql.exec(
      "UPDATE _troupe_idempotency SET body = ? WHERE key = ? AND status = 200",
      JSON.stringify(body),
      key,
    );
  }

  /** Forgets records older than DEDUP_RETENTION_MS. */
  prune(now = clock.now()): number {
    return this.storage.sql.exec(
      "DELETE FROM _troupe_idempotency WHERE created_at < ?",
      now - DEDUP_RETENTION_MS,
    ).rowsWritten;
  }

  private find(key: string): Record_ | null {
    return (
      this.storage.sql
        .exec<Record_>(
          "SELECT fingerprint, status, body FROM _troupe_idempotency WHERE key = ?",
          key,
        )
        .toArray()[0] ?? null
    );
  }

  private save(key: string, fingerprint: string, status: number, body: unknown, now: number) {
    this.storage.sql.exec(
      `INSERT INTO _troupe_idempotency (key, fingerprint, status, body, created_at)
       VALUES (?, ?, ?, ?, ?)`,
      key,
      fingerprint,
      status,
      JSON.stringify(body),
      now,
    );
  }
}

function replay<T>(stored: Record_): Replayable<T> {
  const body = JSON.parse(stored.body);
  if (stored.status >= 400) {
    const { code, detail, extensions } = body as StoredError;
    throw new ApiError(code, detail, { ...extensions, replayed: true });
  }
  return { body: body as T, replayed: true };
}
