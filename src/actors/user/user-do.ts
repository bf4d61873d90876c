// UserDO: one per user. Keeps the user's plan (from billing events), the index of subdomains
// they own or collaborate on, and their quota. A claim is a saga: reserve a quota slot here,
// let the name's SubdomainDO decide, then confirm or release the slot. A crash between the
// steps is repaired by a scheduled job that settles the reservation with the name's actor, so
// a name is never owned but uncounted, or counted but unowned.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { quotaForPlan } from "../../shared/config.ts";
import { ApiError, asApiError } from "../../shared/errors.ts";
import { CLAIM_REPAIR_DELAY_MS } from "../../shared/limits.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { PutSecret, SecretList } from "../../shared/schemas/secret.ts";
import {
  type BillingChange,
  BillingChangeSchema,
  type MySubdomains,
  parseSubdomain,
  type Subdomain,
} from "../../shared/schemas/subdomain.ts";
import {
  type DisableUser,
  DisableUserSchema,
  type UserStatus,
} from "../../shared/schemas/user-status.ts";
import { iso } from "../../shared/time.ts";
import { authorize, requireOperator } from "../access.ts";
import { Actor, type OutboxEnvelope, task } from "../actor.ts";
import { assertOwnName } from "../own-name.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { SecretVault } from "../secrets/vault.ts";
import { userAccount } from "../wallet/account.ts";
import { auditIndex, quotaPlan, type UserAudit } from "./audit.ts";
import { type BillingOutcome, type SubdomainEvent, SubdomainEventSchema } from "./events.ts";
import { type OwnedRow, type ProfileRow, USER_MIGRATIONS } from "./schema.ts";
import { UserStatusAuthority } from "./status.ts";

const REPAIR_TASK = "repair-claim";
const repairKey = (name: string) => `repair:${name}`;

export class UserDO extends Actor {
  static override readonly migrations = USER_MIGRATIONS;

  /** Whether an operator disabled the user; the wallet keeps a copy (status.ts). */
  private readonly status = new UserStatusAuthority(this.sql, this.env);

  protected override readonly tasks = {
    [REPAIR_TASK]: task(
      v.object({ name: v.string(), reservation_id: v.string() }),
      ({ name, reservation_id }) => this.repair(name, reservation_id),
    ),
  };

  // ── claims ─────────────────────────────────────────────────────────────────────────────

  async claim(userId: string, caller: Principal, rawName: string): Promise<Subdomain> {
    const profile = this.open(userId);
    authorize(caller, { owner: userId, creationId: null }, ["owner"]);
    const name = parseSubdomain(rawName);
    const reservation = this.reserve(profile, name, caller.type === "user" && caller.admin);
    if (reservation.state === "owned") {
      return actorByName(this.env.SUBDOMAIN, name).get(name, caller); // already yours
    }
    let claimed: Subdomain;
    try {
      claimed = await actorByName(this.env.SUBDOMAIN, name).claim({
        name,
        user_id: userId,
        reservation_id: reservation.reservation_id,
        seq: profile.billing_seq,
        admin: caller.type === "user" && caller.admin,
        frozen: profile.subscription === "canceled",
      });
    } catch (error) {
      // A refusal is final: give the slot back. Anything else (the call itself failed) leaves
      // the reservation for the repair job, which asks the name's actor what happened.
      if (asApiError(error)) this.drop(name, reservation.reservation_id);
      throw error;
    }
    this.confirm(
      name,
      reservation.reservation_id,
      Date.parse(claimed.claimed_at ?? ""),
      claimed.status === "frozen",
    );
    return claimed;
  }

  async mySubdomains(userId: string, caller: Principal): Promise<MySubdomains> {
    const profile = this.open(userId);
    authorize(caller, { owner: userId, creationId: null }, ["owner", "admin", "service"]);
    return {
      owned: this.ownedRows()
        .filter((row) => row.state === "owned")
        .map((row) => ({
          name: row.name,
          frozen: row.frozen === 1,
          claimed_at: iso(row.claimed_at ?? row.reserved_at),
        })),
      collaborating: this.sql
        .exec<{ name: string; right: string }>(
          "SELECT name, right FROM collaborating ORDER BY name",
        )
        .toArray(),
      plan: profile.plan,
      limit: quotaForPlan(this.env, profile.plan),
    };
  }

  // ── billing ────────────────────────────────────────────────────────────────────────────

  /**
   * Applies a subscription change once per event id, and never one older than the newest
   * applied. Deleted: every owned name freezes. Active: the plan's quota decides; names beyond
   * it freeze, the most recently claimed first, and an upgrade unfreezes them.
   */
  applyBilling(userId: string, input: BillingChange): BillingOutcome & { replayed: boolean } {
    const change = v.parse(BillingChangeSchema, input);
    this.open(userId);
    // Once per Stripe event id: a redelivery gets the first answer and changes nothing.
    const { body, replayed } = this.idempotency.run(
      `stripe-event:${change.event_id}`,
      change,
      (): BillingOutcome => {
        const profile = this.profile();
        if (change.created < profile.billing_event_at) {
          return { applied: false, reason: "stale", frozen: [], unfrozen: [] };
        }
        const plan = change.subscription === "active" ? change.plan : profile.plan;
        this.sql.exec(
          "UPDATE profile SET plan = ?, subscription = ?, billing_seq = billing_seq + 1, billing_event_at = ?",
          plan,
          change.subscription,
          change.created,
        );
        return { applied: true, ...this.enforceStatus() };
      },
    );
    return { ...body, replayed };
  }

  // ── index upkeep (outbox receivers) ────────────────────────────────────────────────────

  subdomainEvent(envelope: OutboxEnvelope<SubdomainEvent>): void {
    const event = this.messageOf(envelope, SubdomainEventSchema);
    this.open(event.user_id);
    this.receiveOnce(envelope, () => {
      switch (event.kind) {
        case "released":
          this.sql.exec("DELETE FROM owned WHERE name = ?", event.name);
          this.cancel(repairKey(event.name));
          return;
        case "imported":
          this.sql.exec(
            `INSERT OR IGNORE INTO owned (name, reservation_id, state, frozen, claimed_at, reserved_at)
             VALUES (?, ?, 'owned', ?, ?, ?)`,
            event.name,
            event.reservation_id,
            Number(event.frozen),
            event.claimed_at,
            event.claimed_at,
          );
          return;
        case "collaboration-started":
          this.sql.exec(
            `INSERT INTO collaborating (name, right, joined_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET right = excluded.right`,
            event.name,
            event.right,
            clock.now(),
          );
          return;
        case "collaboration-ended":
          this.sql.exec("DELETE FROM collaborating WHERE name = ?", event.name);
          return;
      }
    });
  }

  // ── secrets (values are write-only: see ../secrets/vault.ts) ─────────────────────────────

  putSecret(userId: string, caller: Principal, name: string, input: PutSecret) {
    return this.ownSecrets(userId, caller).put(name, input);
  }

  listSecrets(userId: string, caller: Principal): SecretList {
    return this.ownSecrets(userId, caller).list();
  }

  deleteSecret(userId: string, caller: Principal, name: string): void {
    this.ownSecrets(userId, caller).delete(name);
  }

  /** The user's secret: for resolveCreationSecret only, never behind a route. */
  secretValue(userId: string, name: string): Promise<string | null> {
    this.open(userId);
    return this.secrets(userId).value(name);
  }

  /** The vault of the signed-in user, and only theirs. */
  private ownSecrets(userId: string, caller: Principal): SecretVault {
    this.open(userId);
    authorize(caller, { owner: userId, creationId: null }, ["owner"]);
    return this.secrets(userId);
  }

  /** Sealed under the user's account name, so a row copied to another owner fails to open. */
  private secrets(userId: string): SecretVault {
    return new SecretVault(this.sql, this.env.SECRETS_ENCRYPTION_KEY, userAccount(userId));
  }

  // ── disabled users (status.ts) ─────────────────────────────────────────────────────────

  userStatus(userId: string, caller: Principal): UserStatus {
    requireOperator(caller);
    this.assertNamed(userId);
    return this.status.view(userId);
  }

  /** A user never seen can be disabled too: the platform names users by id, and one disabled
   * before their first request here starts disabled. */
  disableUser(userId: string, caller: Principal, input: DisableUser = {}): Promise<UserStatus> {
    requireOperator(caller);
    const disable = v.parse(DisableUserSchema, input);
    this.open(userId);
    return this.status.set(userId, disable);
  }

  enableUser(userId: string, caller: Principal): Promise<UserStatus> {
    requireOperator(caller);
    this.open(userId);
    return this.status.set(userId, null);
  }

  /** Whether the user may act, for routes the router serves without the user's wallet. */
  isEnabled(userId: string): boolean {
    this.assertNamed(userId);
    return this.status.enabled();
  }

  /** The name check of open(), for reads: asking about a user never seen writes nothing. */
  private assertNamed(userId: string): void {
    const existing = this.sql.exec<{ user_id: string }>("SELECT user_id FROM profile").toArray()[0];
    if (existing) assertOwnName("user", existing.user_id, userId);
  }

  // ── audit ──────────────────────────────────────────────────────────────────────────────

  /** Checks the index against the names' own actors, and the quota against the index. */
  audit(userId: string): Promise<UserAudit> {
    const profile = this.open(userId);
    return auditIndex(this.env, userId, this.ownedRows(), quotaForPlan(this.env, profile.plan));
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** Holds a quota slot for `name` (pending) unless it is already held; synchronous, so
   * concurrent claims by one user count each other. */
  protected reserve(profile: ProfileRow, name: string, admin: boolean): OwnedRow {
    return this.ctx.storage.transactionSync(() => {
      const existing = this.sql
        .exec<OwnedRow>("SELECT * FROM owned WHERE name = ?", name)
        .toArray()[0];
      if (existing) return existing;
      const limit = admin ? null : quotaForPlan(this.env, profile.plan);
      const { current } = this.sql
        .exec<{ current: number }>("SELECT COUNT(*) AS current FROM owned")
        .one();
      if (limit !== null && current >= limit) {
        throw new ApiError(
          "QUOTA_EXCEEDED",
          `The ${profile.plan ?? "current"} plan allows ${limit} subdomains; ${current} are taken.`,
          { current, limit, plan: profile.plan },
        );
      }
      const now = clock.now();
      const row = this.sql
        .exec<OwnedRow>(
          `INSERT INTO owned (name, reservation_id, state, reserved_at) VALUES (?, ?, 'pending', ?)
           RETURNING *`,
          name,
          crypto.randomUUID(),
          now,
        )
        .one();
      this.schedule({
        key: repairKey(name),
        task: REPAIR_TASK,
        payload: { name, reservation_id: row.reservation_id },
        at: now + CLAIM_REPAIR_DELAY_MS,
      });
      return row;
    });
  }

  private confirm(name: string, reservationId: string, claimedAt: number, frozen: boolean): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE owned SET state = 'owned', claimed_at = ?, frozen = ? WHERE name = ? AND reservation_id = ?",
        claimedAt,
        Number(frozen),
        name,
        reservationId,
      );
      this.cancel(repairKey(name));
    });
  }

  private drop(name: string, reservationId: string): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "DELETE FROM owned WHERE name = ? AND reservation_id = ? AND state = 'pending'",
        name,
        reservationId,
      );
      this.cancel(repairKey(name));
    });
  }

  /** The repair job: the claim's answer never came back, so ask the name's actor. */
  private async repair(name: string, reservationId: string): Promise<void> {
    const row = this.sql
      .exec<OwnedRow>(
        "SELECT * FROM owned WHERE name = ? AND reservation_id = ?",
        name,
        reservationId,
      )
      .toArray()[0];
    if (row?.state !== "pending") return;
    const settled = await actorByName(this.env.SUBDOMAIN, name).settleReservation({
      name,
      reservation_id: reservationId,
      user_id: this.profile().user_id,
    });
    if (settled.outcome === "claimed") this.confirm(name, reservationId, settled.claimed_at, false);
    else this.drop(name, reservationId);
  }

  /** Freezes what the subscription and plan do not cover, unfreezes the rest, and tells each
   * changed name's actor (outbox, ordered by billing_seq). */
  private enforceStatus(): { frozen: string[]; unfrozen: string[] } {
    const profile = this.profile();
    const limit = profile.subscription === "canceled" ? 0 : quotaForPlan(this.env, profile.plan);
    const changes = { frozen: [] as string[], unfrozen: [] as string[] };
    for (const { row, frozen } of quotaPlan(this.ownedRows(), limit)) {
      if (frozen !== (row.frozen === 1)) {
        this.sql.exec("UPDATE owned SET frozen = ? WHERE name = ?", Number(frozen), row.name);
        (frozen ? changes.frozen : changes.unfrozen).push(row.name);
      }
      // Every name hears the new sequence, so an older message still in flight cannot win.
      this.enqueue("SUBDOMAIN", row.name, "applyStatus", {
        name: row.name,
        owner_id: profile.user_id,
        frozen,
        seq: profile.billing_seq,
      });
    }
    return changes;
  }

  protected open(userId: string): ProfileRow {
    const existing = this.sql.exec<ProfileRow>("SELECT * FROM profile").toArray()[0];
    if (existing) {
      assertOwnName("user", existing.user_id, userId);
      return existing;
    }
    this.sql.exec(
      "INSERT INTO profile (only, user_id, created_at) VALUES (1, ?, ?)",
      userId,
      clock.now(),
    );
    return this.profile();
  }

  private profile(): ProfileRow {
    return this.sql.exec<ProfileRow>("SELECT * FROM profile").one();
  }

  private ownedRows(): OwnedRow[] {
    return this.sql.exec<OwnedRow>("SELECT * FROM owned ORDER BY name").toArray();
  }
}

refusalsAsValues<UserDO, Actor>(UserDO, {
  claim: true,
  mySubdomains: true,
  applyBilling: true,
  subdomainEvent: true,
  audit: true,
  putSecret: true,
  listSecrets: true,
  deleteSecret: true,
  secretValue: true,
  userStatus: true,
  disableUser: true,
  enableUser: true,
  isEnabled: true,
});
