// CreationDO: one per creation. Owns the creation's owner and settings, the version counter
// behind its `rct_` tokens, its webhook secret, its schedules (jobs on this actor's alarm), and
// hands to its parts: API keys (key-desk.ts), the catalog (catalog.ts), its end users' usage
// (metering/), its secrets (../secrets/vault.ts).

import * as v from "valibot";
import { type CreationProjection, writeCreationProjection } from "../../projections/creations.ts";
import { clock } from "../../shared/clock.ts";
import { rateLimitPerMinute } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import { canonicalJson } from "../../shared/json.ts";
import { CREATION_WEBHOOK_RETRY_BASE_MS } from "../../shared/limits.ts";
import { type ProductList, type PutProducts, SkuSchema } from "../../shared/schemas/commerce.ts";
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
import type { PutSecret, SecretList, SecretWritten } from "../../shared/schemas/secret.ts";
import { mintCreationToken, newWebhookSecret } from "../../shared/tokens.ts";
import { authorize, type Owned } from "../access.ts";
import { Actor, type JobContext, type JobOutcome, task } from "../actor.ts";
import { PROJECTION_TASK, projectionJob, projectionTask } from "../projection.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { SecretVault } from "../secrets/vault.ts";
import { Serial } from "../serial.ts";
import { creationAccount } from "../wallet/account.ts";
import { aiSettingsOf, patchedAiSettings } from "./ai-settings.ts";
import { Catalog, type Offer } from "./catalog.ts";
import { CreationKeyDesk } from "./key-desk.ts";
import { CreationMetering } from "./metering/creation-metering.ts";
import { ScheduleBook } from "./schedule-book.ts";
import { checkWebhookUrl } from "./schedule-rules.ts";
import { FIRE_SCHEDULE_TASK } from "./schedules.ts";
import { CREATION_MIGRATIONS, type CreationRow, InitializeSchema } from "./schema.ts";
import { toCreation } from "./view.ts";

export class CreationDO extends Actor {
  static override readonly migrations = CREATION_MIGRATIONS;

  /** Token rotations and key revocations and rolls, one at a time: each tells the wallet
   *  before it commits here, and must not interleave with another doing the same. */
  private readonly credentialChanges = new Serial();
  private readonly schedules = new ScheduleBook({
    storage: this.ctx.storage,
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
    job: (key) => this.scheduler.get(key),
    localhostAllowed: this.env.ALLOW_LOCALHOST_WEBHOOKS === "true",
  });
  private readonly keyDesk = new CreationKeyDesk({
    sql: this.ctx.storage.sql,
    env: this.env,
    require: () => this.require(),
    owned: (row) => this.owned(row),
    credentialChanges: this.credentialChanges,
  });

  private readonly catalog = new Catalog(this.ctx.storage.sql);
  private readonly metering = new CreationMetering({
    storage: this.ctx.storage,
    require: () => this.require(),
    owned: (row) => this.owned(row),
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
    const changes = v.parse(UpdateCreationSchema, patch);
    if (changes.webhook_url)
      checkWebhookUrl(changes.webhook_url, this.env.ALLOW_LOCALHOST_WEBHOOKS === "true");
    const ai = changes.ai === undefined ? row.ai : patchedAiSettings(this.env, row, changes.ai);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `UPDATE creation SET name = ?, allow_anonymous = ?, webhook_url = ?, ai = ?,
           permissions = ?, creator_share_pct = ?, revision = revision + 1, updated_at = ?`,
        changes.name === undefined ? row.name : changes.name,
        changes.allow_anonymous === undefined
          ? row.allow_anonymous
          : Number(changes.allow_anonymous),
        changes.webhook_url === undefined ? row.webhook_url : changes.webhook_url,
        ai,
        changes.permissions === undefined ? row.permissions : JSON.stringify(changes.permissions),
        changes.entitlement_creator_share_pct ?? row.creator_share_pct,
        clock.now(),
      );
      this.scheduleProjection();
    });
    return toCreation(this.require());
  }

  /**
   * Bumps the version: every earlier `rct_` token fails on its next use, on every route. The
   * wallet, which checks tokens without asking this actor, is told first; only then is the
   * version committed here and the new token shown. A failure in between leaves the wallet
   * refusing the old token early, never accepting it late (docs/architecture.md). Rotations run
   * one at a time, so each gets its own version.
   */
  rotateToken(caller: Principal): Promise<{ token_version: number; token: string }> {
    return this.credentialChanges.run(async () => {
      const row = this.require();
      authorize(caller, this.owned(row), ["owner", "service"]);
      const version = row.token_version + 1;
      const account = creationAccount(row.id);
      await actorByName(this.env.WALLET, account).raiseCreationTokenVersion(account, version);
      this.sql.exec("UPDATE creation SET token_version = ?, updated_at = ?", version, clock.now());
      return {
        token_version: version,
        token: await mintCreationToken(this.env.TOKEN_SECRET, row.id, version),
      };
    });
  }

  rotateWebhookSecret(caller: Principal): { webhook_secret: string } {
    authorize(caller, this.owned(this.require()), ["owner", "service"]);
    const secret = newWebhookSecret();
    this.sql.exec("UPDATE creation SET webhook_secret = ?, updated_at = ?", secret, clock.now());
    return { webhook_secret: secret };
  }

  /** Creates or replaces a schedule; `created` tells which. */
  putSchedule(
    caller: Principal,
    name: string,
    input: PutSchedule,
  ): { created: boolean; schedule: Schedule } {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "self", "service"]);
    return this.schedules.put(name, input, row.webhook_url);
  }

  listCreationSchedules(caller: Principal): Schedule[] {
    authorize(caller, this.owned(this.require()), ["owner", "self", "service"]);
    return this.schedules.list();
  }

  deleteSchedule(caller: Principal, name: string): void {
    authorize(caller, this.owned(this.require()), ["owner", "self", "service"]);
    this.schedules.delete(name);
  }

  /** Occurrences whose delivery failed every attempt, oldest first. */
  scheduleFailures(caller: Principal): ScheduleFailure[] {
    authorize(caller, this.owned(this.require()), ["owner", "self", "service"]);
    return this.schedules.failures(this.listDeadLetters());
  }

  // ── API keys (key-desk.ts) ──

  createKey(...args: Parameters<CreationKeyDesk["create"]>) {
    return this.keyDesk.create(...args);
  }

  listKeys(...args: Parameters<CreationKeyDesk["list"]>) {
    return this.keyDesk.list(...args);
  }

  revokeKey(...args: Parameters<CreationKeyDesk["revoke"]>) {
    return this.keyDesk.revoke(...args);
  }

  rollKey(...args: Parameters<CreationKeyDesk["roll"]>) {
    return this.keyDesk.roll(...args);
  }

  regenerateKey(...args: Parameters<CreationKeyDesk["regenerate"]>) {
    return this.keyDesk.regenerate(...args);
  }

  keyState(...args: Parameters<CreationKeyDesk["state"]>) {
    return this.keyDesk.state(...args);
  }

  useSecretKey(...args: Parameters<CreationKeyDesk["useSecret"]>) {
    return this.keyDesk.useSecret(...args);
  }

  touchKey(...args: Parameters<CreationKeyDesk["touch"]>) {
    return this.keyDesk.touch(...args);
  }

  usePublishableKey(...args: Parameters<CreationKeyDesk["usePublishable"]>) {
    return this.keyDesk.usePublishable(...args);
  }

  // ── products (catalog.ts) ──

  putProducts(caller: Principal, input: PutProducts): ProductList {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "service"]);
    this.ctx.storage.transactionSync(() => this.catalog.replace(input));
    return this.catalog.list(row);
  }

  /** What the creation sells, for anyone (seed 000's listProducts). */
  listProducts(): ProductList {
    return this.catalog.list(this.require());
  }

  /** What a buyer's wallet needs for a freeform payment to this creation. */
  paymentTerms(): { creation_id: string; creator_share_pct: number } {
    return this.catalog.paymentTerms(this.require());
  }

  /** The product a buyer's wallet is about to sell, with the creation's terms of sale. */
  offer(sku: string): Offer {
    return this.catalog.offer(this.require(), v.parse(SkuSchema, sku));
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

  // ── secrets (values are write-only: see ../secrets/vault.ts) ──

  putSecret(caller: Principal, name: string, input: PutSecret): Promise<SecretWritten> {
    return this.managedSecrets(caller).put(name, input);
  }

  listSecrets(caller: Principal): SecretList {
    return this.managedSecrets(caller).list();
  }

  deleteSecret(caller: Principal, name: string): void {
    this.managedSecrets(caller).delete(name);
  }

  /** This creation's own secret, and its owner to fall back on: for resolveCreationSecret only,
   *  never behind a route. */
  async secretValue(name: string): Promise<{ owner: string; value: string | null }> {
    const row = this.require();
    return { owner: row.owner, value: await this.secrets(row).value(name) };
  }

  /** The vault as its owner or the platform manage it (never the creation's own token). */
  private managedSecrets(caller: Principal): SecretVault {
    const row = this.require();
    authorize(caller, this.owned(row), ["owner", "service"]);
    return this.secrets(row);
  }

  /** Sealed under the creation's account name, so a row copied to another owner fails to open. */
  private secrets(row: CreationRow): SecretVault {
    return new SecretVault(this.sql, this.env.SECRETS_ENCRYPTION_KEY, creationAccount(row.id));
  }

  /** A creation is its own resource: its token version and keys are what its credentials are
   *  checked against (the router does not ask first on this actor's routes). */
  private owned(row: CreationRow): Extract<Owned, { creationId: string }> {
    return {
      owner: row.owner,
      creationId: row.id,
      credentials: { tokenVersion: row.token_version, key: (keyId) => this.keyDesk.state(keyId) },
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
