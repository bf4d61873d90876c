// CreationDO: one per creation. Owns the creation's owner and settings, the version counter
// behind its `rct_` tokens, its webhook secret, its schedules (jobs on this actor's alarm), and
// hands to its parts: credentials (credential-desk.ts), the catalog (catalog.ts), its end users' usage
// (metering/), its secrets (secrets-desk.ts).

import * as v from "valibot";
import { type CreationProjection, writeCreationProjection } from "../../projections/creations.ts";
import { clock } from "../../shared/clock.ts";
import { rateLimitPerMinute } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import { canonicalJson } from "../../shared/json.ts";
import { CREATION_WEBHOOK_RETRY_BASE_MS } from "../../shared/limits.ts";
import {
  type AiSettings,
  type CreatedCreation,
  type Creation,
  type UpdateCreation,
  UpdateCreationSchema,
} from "../../shared/schemas/creation.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  type PutSchedule,
  type Schedule,
  type ScheduleFailure,
  ScheduleNameSchema,
} from "../../shared/schemas/schedule.ts";
import { mintCreationToken, newWebhookSecret } from "../../shared/tokens.ts";
import { authorize, type Owned } from "../access.ts";
import { Actor, type JobContext, type JobOutcome, task } from "../actor.ts";
import { PROJECTION_TASK, projectionJob, projectionTask } from "../projection.ts";
import { refusalsAsValues } from "../refusal.ts";
import { aiSettingsOf } from "./ai-settings.ts";
import { Catalog } from "./catalog.ts";
import { CreationCredentialDesk } from "./credential-desk.ts";
import type { CreationHost } from "./host.ts";
import { CreationMetering } from "./metering/creation-metering.ts";
import { ScheduleBook } from "./schedule-book.ts";
import { FIRE_SCHEDULE_TASK } from "./schedules.ts";
import { CREATION_MIGRATIONS, type CreationRow, InitializeSchema } from "./schema.ts";
import { CreationSecrets } from "./secrets-desk.ts";
import { settingsAfter } from "./settings.ts";
import { toCreation } from "./view.ts";

export class CreationDO extends Actor {
  static override readonly migrations = CREATION_MIGRATIONS;

  private readonly schedules = new ScheduleBook({
    storage: this.ctx.storage,
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
    job: (key) => this.scheduler.get(key),
    localhostAllowed: this.env.ALLOW_LOCALHOST_WEBHOOKS === "true",
  });
  /** What its parts use of this actor (host.ts). */
  private readonly host: CreationHost = {
    storage: this.ctx.storage,
    env: this.env,
    require: () => this.require(),
    owned: (row) => this.owned(row),
  };
  private readonly credentials = new CreationCredentialDesk(this.host);
  private readonly catalog = new Catalog(this.host);
  private readonly secretsDesk = new CreationSecrets(this.host);
  private readonly metering = new CreationMetering({
    ...this.host,
    rateLimitPerMinute: () => rateLimitPerMinute(this.env),
  });

  protected override readonly tasks = {
    [FIRE_SCHEDULE_TASK]: task(
      v.object({ name: ScheduleNameSchema }),
      ({ name }, job) => this.fireSchedule(name, job),
      { retryBaseMs: CREATION_WEBHOOK_RETRY_BASE_MS },
    ),
    // Runs after each change to a projected field; one key, so a burst of changes is one write.
    [PROJECTION_TASK]: projectionTask(
      () => this.projection(),
      (projection) => writeCreationProjection(this.env.DB, projection),
    ),
  };

  /** Creates the creation this actor is named after; only ever once. */
  async initialize(
    input: v.InferInput<typeof InitializeSchema>,
  ): Promise<{ creation: CreatedCreation; replayed: boolean }> {
    const { id, owner, name, idempotency_key } = v.parse(InitializeSchema, input);
    const createdWith =
      idempotency_key === undefined ? null : canonicalJson({ owner, name, idempotency_key });
    const existing = this.row();
    if (existing) {
      if (createdWith === null)
        throw new ApiError("CREATION_EXISTS", `Creation ${id} already exists.`);
      if (existing.created_with !== createdWith) {
        throw new ApiError(
          "IDEMPOTENCY_KEY_REUSED",
          "This idempotency key was already used with a different request; use a new key.",
          { idempotency_key },
        );
      }
      return { creation: await this.created(existing), replayed: true };
    }
    const now = clock.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO creation (id, owner, name, webhook_secret, token_version, created_at, updated_at,
           created_with) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
        id,
        owner,
        name ?? null,
        newWebhookSecret(),
        now,
        now,
        createdWith,
      );
      this.scheduleProjection();
    });
    return { creation: await this.created(this.require()), replayed: false };
  }

  /** The creation with its current token and webhook secret: the answer to its creation. */
  private async created(row: CreationRow): Promise<CreatedCreation> {
    const token = await mintCreationToken(this.env.TOKEN_SECRET, row.id, row.token_version);
    return { ...toCreation(row), token, webhook_secret: row.webhook_secret };
  }

  /** The fields the D1 projection holds, or null when this creation does not exist. */
  projection(): CreationProjection | null {
    const row = this.row();
    if (!row) return null;
    const { id, owner, name, revision } = row;
    const { created_at, updated_at } = toCreation(row);
    return { id, owner, name, created_at, updated_at, revision };
  }

  /** Who rooms treat as privileged, and whether they admit anonymous visitors; null when the
   * creation does not exist (the router asks before opening a room). */
  roomPolicy(): { owner: string; allow_anonymous: boolean } | null {
    const row = this.row();
    return row ? { owner: row.owner, allow_anonymous: row.allow_anonymous === 1 } : null;
  }

  /** What a session needs to answer for this creation: its owner and AI settings; null when
   *  the creation does not exist. */
  aiPolicy(): { owner: string; ai: AiSettings } | null {
    const row = this.row();
    return row ? { owner: row.owner, ai: aiSettingsOf(row) } : null;
  }

  /** The current token version, or null when this creation does not exist (auth uses it). */
  tokenVersion(): number | null {
    return this.row()?.token_version ?? null;
  }

  get(caller: Principal): Creation {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "admin", "self", "service"]);
    return toCreation(row);
  }

  update(caller: Principal, patch: UpdateCreation): Creation {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "service"]);
    const next = settingsAfter(this.env, row, v.parse(UpdateCreationSchema, patch));
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `UPDATE creation SET name = ?, allow_anonymous = ?, webhook_url = ?, ai = ?,
           permissions = ?, creator_share_pct = ?, revision = revision + 1, updated_at = ?`,
        next.name,
        next.allow_anonymous,
        next.webhook_url,
        next.ai,
        next.permissions,
        next.creator_share_pct,
        clock.now(),
      );
      this.scheduleProjection();
    });
    return toCreation(this.require());
  }

  /** Creates or replaces a schedule; `created` tells which. */
  putSchedule(caller: Principal, name: string, input: PutSchedule) {
    return this.schedules.put(name, input, this.schedulingRow(caller).webhook_url);
  }

  listCreationSchedules(caller: Principal): Schedule[] {
    this.schedulingRow(caller);
    return this.schedules.list();
  }

  deleteSchedule(caller: Principal, name: string): void {
    this.schedulingRow(caller);
    this.schedules.delete(name);
  }

  /** Occurrences whose delivery failed every attempt, oldest first. */
  scheduleFailures(caller: Principal): ScheduleFailure[] {
    this.schedulingRow(caller);
    return this.schedules.failures(this.listDeadLetters());
  }

  /** The creation, once `caller` may manage its schedules (its owner, itself, the platform). */
  private schedulingRow(caller: Principal): CreationRow {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "self", "service"]);
    return row;
  }

  // ── credentials (credential-desk.ts): the rct_ token, the webhook secret, API keys ──

  rotateToken(...args: Parameters<CreationCredentialDesk["rotateToken"]>) {
    return this.credentials.rotateToken(...args);
  }
  rotateWebhookSecret(...args: Parameters<CreationCredentialDesk["rotateWebhookSecret"]>) {
    return this.credentials.rotateWebhookSecret(...args);
  }
  createKey(...args: Parameters<CreationCredentialDesk["create"]>) {
    return this.credentials.create(...args);
  }
  listKeys(...args: Parameters<CreationCredentialDesk["list"]>) {
    return this.credentials.list(...args);
  }
  revokeKey(...args: Parameters<CreationCredentialDesk["revoke"]>) {
    return this.credentials.revoke(...args);
  }
  rollKey(...args: Parameters<CreationCredentialDesk["roll"]>) {
    return this.credentials.roll(...args);
  }
  regenerateKey(...args: Parameters<CreationCredentialDesk["regenerate"]>) {
    return this.credentials.regenerate(...args);
  }
  keyState(...args: Parameters<CreationCredentialDesk["state"]>) {
    return this.credentials.state(...args);
  }
  useSecretKey(...args: Parameters<CreationCredentialDesk["useSecret"]>) {
    return this.credentials.useSecret(...args);
  }
  touchKey(...args: Parameters<CreationCredentialDesk["touch"]>) {
    return this.credentials.touch(...args);
  }
  usePublishableKey(...args: Parameters<CreationCredentialDesk["usePublishable"]>) {
    return this.credentials.usePublishable(...args);
  }

  // ── products (catalog.ts) ──

  putProducts(...args: Parameters<Catalog["put"]>) {
    return this.catalog.put(...args);
  }
  listProducts(...args: Parameters<Catalog["list"]>) {
    return this.catalog.list(...args);
  }
  paymentTerms(...args: Parameters<Catalog["paymentTerms"]>) {
    return this.catalog.paymentTerms(...args);
  }
  offer(...args: Parameters<Catalog["offer"]>) {
    return this.catalog.offer(...args);
  }

  // ── usage metering (metering/creation-metering.ts) ──

  putTiers(...args: Parameters<CreationMetering["putTiers"]>) {
    return this.metering.putTiers(...args);
  }
  listTiers(...args: Parameters<CreationMetering["listTiers"]>) {
    return this.metering.listTiers(...args);
  }
  trackUsage(...args: Parameters<CreationMetering["track"]>) {
    return this.metering.track(...args);
  }
  userUsage(...args: Parameters<CreationMetering["userUsage"]>) {
    return this.metering.userUsage(...args);
  }
  setUserPlan(...args: Parameters<CreationMetering["setPlan"]>) {
    return this.metering.setPlan(...args);
  }
  usageSummary(...args: Parameters<CreationMetering["summary"]>) {
    return this.metering.summary(...args);
  }
  applyStripePlan(...args: Parameters<CreationMetering["applyStripePlan"]>) {
    return this.metering.applyStripePlan(...args);
  }

  private async fireSchedule(name: string, job: JobContext): Promise<void> {
    const creation = this.row();
    if (creation) await this.schedules.fire(this.env, creation, name, job);
  }

  protected override onJobOutcome(outcome: JobOutcome): void {
    if (outcome.task === FIRE_SCHEDULE_TASK) this.schedules.recordOutcome(outcome);
  }

  // ── secrets (secrets-desk.ts; values are write-only) ──

  putSecret(...args: Parameters<CreationSecrets["put"]>) {
    return this.secretsDesk.put(...args);
  }
  listSecrets(...args: Parameters<CreationSecrets["list"]>) {
    return this.secretsDesk.list(...args);
  }
  deleteSecret(...args: Parameters<CreationSecrets["delete"]>) {
    return this.secretsDesk.delete(...args);
  }
  secretValue(...args: Parameters<CreationSecrets["value"]>) {
    return this.secretsDesk.value(...args);
  }

  /** A creation is its own resource: its token version and keys are what its credentials are
   *  checked against (the router does not ask first on this actor's routes). */
  private owned(row: CreationRow): Extract<Owned, { creationId: string }> {
    return {
      owner: row.owner,
      creationId: row.id,
      credentials: {
        tokenVersion: row.token_version,
        key: (keyId) => this.credentials.state(keyId),
      },
    };
  }

  private scheduleProjection(): void {
    this.schedule(projectionJob);
  }

  private row(): CreationRow | null {
    return this.sql.exec<CreationRow>("SELECT * FROM creation").toArray()[0] ?? null;
  }

  private require(): CreationRow {
    const row = this.row();
    if (!row) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    return row;
  }
}

refusalsAsValues<CreationDO, Actor>(CreationDO, {
  initialize: true,
  projection: true,
  roomPolicy: true,
  aiPolicy: true,
  tokenVersion: true,
  get: true,
  update: true,
  rotateToken: true,
  rotateWebhookSecret: true,
  putSchedule: true,
  listCreationSchedules: true,
  deleteSchedule: true,
  scheduleFailures: true,
  createKey: true,
  listKeys: true,
  revokeKey: true,
  rollKey: true,
  keyState: true,
  useSecretKey: true,
  touchKey: true,
  usePublishableKey: true,
  putSecret: true,
  listSecrets: true,
  deleteSecret: true,
  secretValue: true,
  regenerateKey: true,
  putProducts: true,
  listProducts: true,
  offer: true,
  paymentTerms: true,
  putTiers: true,
  listTiers: true,
  trackUsage: true,
  userUsage: true,
  setUserPlan: true,
  usageSummary: true,
  applyStripePlan: true,
});
