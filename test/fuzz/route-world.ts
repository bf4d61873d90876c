// The fixture world the route fuzzer acts on: two creations with their tokens (one revoked),
// a claimed subdomain with an invited collaborator, funded wallets, a hold, a spend, a budget,
// an access token, a schedule and a room with state. Generated requests name these so they
// reach the handlers, and a few of their observable states are snapshotted around each case
// to prove that a refused request (4xx) changed nothing.

import { expect, inject } from "vitest";
import { clock } from "../../src/shared/clock.ts";
import { api, asCreation, bearer, jsonInit } from "../helpers.ts";
import { asService } from "../wallet-helpers.ts";
import { type CreationTokens, FUZZ_USERS } from "./credentials.ts";
import { MALFORMED_ROOM_PATHS, PLAIN_ROOM_PATHS, PROTOTYPE_ROOM_PATHS } from "./hostile.ts";
import { parseJson, preview } from "./invariants.ts";

export const FUZZ_SUBDOMAIN = "fuzz-site";
export const FUZZ_ROOM = "lobby";
export const FUZZ_SCHEDULE = "fuzz-daily";

/** How long before and after a case a known background deadline (a hold or bucket expiring, a
 * daily reset) makes its state comparison inconclusive: alarms may run a little late. */
const BACKGROUND_MARGIN_MS = 2_000;
/** After a success, the watched views must hold still this long before a case starts... */
const SETTLE_QUIET_MS = 25;
/** ...and this long after a success whose actor tells others by outbox (subdomain claims and
 * releases reach the owner's index, deposits reach a creation's wallet, in an alarm). */
const SETTLE_OUTBOX_QUIET_MS = 250;
const SETTLE_PAUSE_MS = 25;
const SETTLE_MAX_MS = 3_000;
/** Mutating cases remembered for the report of a state change. */
const RECENT_CASES_KEPT = 5;

/** Fields naming a future instant at which something changes without a request. */
const DEADLINE_FIELD = /"(?:\w*expires|\w*resets?|next_run|fires)_at":"([^"]+)"/g;

const ownerHeaders = () => bearer(FUZZ_USERS.owner);

async function expectStatus(response: Response, status: number, what: string) {
  const text = await response.text();
  expect(response.status, `${what}: ${text}`).toBe(status);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface Snapshot {
  takenAt: number;
  views: Record<string, string>;
}

export class RouteWorld {
  creationId = "";
  otherCreationId = "";
  tokens: CreationTokens = {
    creation: "",
    otherCreation: "",
    revoked: "",
    secretKey: "",
    revokedSecretKey: "",
    publishableKey: "",
  };
  holdId = "";
  transactionId = "";
  authorizationId = "";
  accessToken = "";
  webhookUrl = "";
  /** Future instants at which something changes by itself (expiries, resets). */
  private readonly deadlines = new Set<number>();
  private last: Snapshot | undefined;
  /** Set when a case may have changed state, so the next snapshot must be fresh and settled. */
  private dirty = true;
  private quietMs = SETTLE_QUIET_MS;
  private readonly recent: { at: number; summary: string; status: number }[] = [];
  /** What the observation cost and could not decide, for the summary after the run. */
  readonly stats = { reads: 0, settles: 0, compared: 0, inconclusive: 0 };

  async setup(): Promise<void> {
    this.webhookUrl = `${inject("webhookReceiverUrl")}/fuzz`;
    const created = await expectStatus(
      await api("/v1/creations", jsonInit("POST", { name: "fuzz" }, await ownerHeaders())),
      201,
      "create the fuzz creation",
    );
    this.creationId = created.id as string;
    this.tokens.creation = created.token as string;
    const other = await expectStatus(
      await api("/v1/creations", jsonInit("POST", {}, await bearer(FUZZ_USERS.other))),
      201,
      "create the other creation",
    );
    this.otherCreationId = other.id as string;
    this.tokens.revoked = other.token as string;
    const rotated = await expectStatus(
      await api(`/v1/creations/${this.otherCreationId}/rotate-token`, {
        method: "POST",
        headers: await bearer(FUZZ_USERS.other),
      }),
      200,
      "rotate the other creation's token",
    );
    this.tokens.otherCreation = rotated.token as string;
    await this.setupKeys();
    await this.setupSubdomain();
    await this.setupWallets();
    await this.setupSchedulesAndRoom();
  }

  private async setupKeys() {
    const keys = `/v1/creations/${this.creationId}/keys`;
    const create = async (kind: string, name: string) => {
      const body = { kind, mode: "live", name };
      const created = await api(keys, jsonInit("POST", body, await ownerHeaders()));
      return expectStatus(created, 201, `create the ${name} key`);
    };
    this.tokens.secretKey = (await create("secret", "fuzz server")).key as string;
    this.tokens.publishableKey = (await create("publishable", "fuzz page")).key as string;
    const revoked = await create("secret", "fuzz revoked");
    this.tokens.revokedSecretKey = revoked.key as string;
    const deleted = await api(`${keys}/${revoked.id}`, {
      method: "DELETE",
      headers: await ownerHeaders(),
    });
    expect(deleted.status).toBe(204);
  }

  private async setupSubdomain() {
    await expectStatus(
      await api(`/v1/subdomains/${FUZZ_SUBDOMAIN}/claim`, {
        method: "POST",
        headers: await ownerHeaders(),
      }),
      201,
      "claim the fuzz subdomain",
    );
    const invite = await api(
      `/v1/subdomains/${FUZZ_SUBDOMAIN}/invites`,
      jsonInit("POST", { email: FUZZ_USERS.other.email }, await ownerHeaders()),
    );
    expect(invite.status, await invite.clone().text()).toBeLessThan(300);
  }

  private async setupWallets() {
    await expectStatus(
      await asService("POST", `/v1/users/${FUZZ_USERS.owner.sub}/wallet/deposit`, {
        amount: 5_000,
        reference_id: "fuzz-setup",
      }),
      200,
      "fund the owner",
    );
    await expectStatus(
      await api(
        `/v1/creations/${this.creationId}/wallet/deposit`,
        jsonInit("POST", { amount: 2_000 }, await ownerHeaders()),
      ),
      200,
      "fund the creation",
    );
    const creation = asCreation(this.tokens.creation);
    const hold = await expectStatus(
      await api(
        `/v1/creations/${this.creationId}/wallet/holds`,
        jsonInit("POST", { amount: 10, ttl_seconds: 24 * 60 * 60 }, creation),
      ),
      201,
      "place a hold",
    );
    this.holdId = (hold.hold as { id: string }).id;
    this.learn(JSON.stringify(hold));
    const spend = await expectStatus(
      await api(
        `/v1/creations/${this.creationId}/wallet/spend`,
        jsonInit("POST", { amount: 5, type: "fuzz_setup" }, creation),
      ),
      200,
      "spend",
    );
    this.transactionId = (spend.transaction as { id: string }).id;
    const budget = await expectStatus(
      await api(
        "/v1/me/authorizations/budget",
        jsonInit(
          "POST",
          { creation_id: this.creationId, limit: 100, period: "day" },
          await ownerHeaders(),
        ),
      ),
      201,
      "grant a budget",
    );
    this.authorizationId = budget.id as string;
    const access = await expectStatus(
      await api(
        "/v1/me/access-tokens",
        jsonInit("POST", { creation_id: this.creationId }, await ownerHeaders()),
      ),
      201,
      "mint an access token",
    );
    this.accessToken = access.access_token as string;
  }

  private async setupSchedulesAndRoom() {
    await expectStatus(
      await api(
        `/v1/creations/${this.creationId}/schedules/${FUZZ_SCHEDULE}`,
        jsonInit(
          "PUT",
          { cron: "0 9 * * *", target: { type: "webhook", url: this.webhookUrl } },
          await ownerHeaders(),
        ),
      ),
      201,
      "create a schedule",
    );
    await expectStatus(
      await api(
        `/v1/rooms/${this.creationId}/${FUZZ_ROOM}/state`,
        jsonInit(
          "POST",
          { ops: [{ op: "set", path: "/shared/seed", value: 1 }] },
          await ownerHeaders(),
        ),
      ),
      200,
      "seed the room state",
    );
  }

  /** Values that exist in this world, by the field or parameter name that takes them. */
  known(name: string): readonly string[] {
    const values: Record<string, readonly string[]> = {
      id: [this.creationId, this.otherCreationId],
      creation_id: [this.creationId, this.otherCreationId],
      user_id: [FUZZ_USERS.owner.sub, FUZZ_USERS.other.sub],
      userId: [FUZZ_USERS.owner.sub, FUZZ_USERS.other.sub],
      on_behalf_of_user_id: [FUZZ_USERS.owner.sub],
      preallocated_to: [FUZZ_USERS.other.sub],
      owner: [FUZZ_USERS.owner.sub],
      name: [FUZZ_SUBDOMAIN, FUZZ_SCHEDULE],
      subdomain: [FUZZ_SUBDOMAIN],
      prefix: ["fuzz"],
      room: [FUZZ_ROOM],
      email: [FUZZ_USERS.other.email],
      hold_id: [this.holdId],
      transaction_id: [this.transactionId],
      authorization_id: [this.authorizationId],
      on_behalf_of_access_token: [this.accessToken],
      reference_id: ["fuzz-ref-1", "fuzz-setup"],
      url: [this.webhookUrl],
      webhook_url: [this.webhookUrl],
      // Room patch paths (POST /v1/rooms/…/state): the owner may write anywhere, so prototype
      // paths reach the state walk directly.
      path: [...PROTOTYPE_ROOM_PATHS, ...MALFORMED_ROOM_PATHS, ...PLAIN_ROOM_PATHS],
    };
    return values[name] ?? [];
  }

  // ── state observation ───────────────────────────────────────────────────────────────────

  /** Reads every watched state. Views are compared as the response text (status included):
   * the API serializes the same state the same way. */
  private async read(): Promise<Snapshot> {
    this.stats.reads++;
    const ownerAuth = await ownerHeaders();
    const walletPath = `/v1/users/${FUZZ_USERS.owner.sub}/wallet`;
    const reads: Record<string, () => Promise<Response>> = {
      "owner wallet": () => asService("GET", walletPath),
      creation: () => api(`/v1/creations/${this.creationId}`, { headers: ownerAuth }),
      "creation wallet": () =>
        api(`/v1/creations/${this.creationId}/wallet`, { headers: ownerAuth }),
      subdomain: () => api(`/v1/subdomains/${FUZZ_SUBDOMAIN}`, { headers: ownerAuth }),
      "owner subdomains": () => api("/v1/me/subdomains", { headers: ownerAuth }),
      authorizations: () => api("/v1/me/authorizations", { headers: ownerAuth }),
      "schedule definitions": () =>
        api(`/v1/creations/${this.creationId}/schedules`, { headers: ownerAuth }),
      room: () => api(`/v1/rooms/${this.creationId}/${FUZZ_ROOM}`, { headers: ownerAuth }),
    };
    const entries = await Promise.all(
      Object.entries(reads).map(async ([label, read]) => {
        const response = await read();
        const text = await response.text();
        this.learn(text);
        return [label, `${response.status} ${normalize(label, text)}`] as const;
      }),
    );
    return { takenAt: clock.now(), views: Object.fromEntries(entries) };
  }

  /** The state before a case: the last one read if nothing happened since, else a fresh read
   * taken once asynchronous effects of earlier successes (outbox deliveries) have landed. */
  async before(): Promise<Snapshot> {
    if (this.last && !this.dirty) return this.last;
    let snapshot = await this.settled();
    if (await this.repair(snapshot)) snapshot = await this.settled();
    this.last = snapshot;
    this.dirty = false;
    this.quietMs = SETTLE_QUIET_MS;
    return snapshot;
  }

  /** Reads until the views have held still for `quietMs` (or SETTLE_MAX_MS ran out). */
  private async settled(): Promise<Snapshot> {
    this.stats.settles++;
    let latest = await this.read();
    let stillSince = Date.now();
    const giveUpAt = Date.now() + SETTLE_MAX_MS;
    while (Date.now() - stillSince < this.quietMs && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
      const current = await this.read();
      if (!sameViews(latest, current)) stillSince = Date.now();
      latest = current;
    }
    return latest;
  }

  /** After a refused case: what changed in the watched state, unless a known background
   * deadline fell within the case (then nothing can be concluded, and that is counted). */
  async changedSince(before: Snapshot): Promise<string[]> {
    const after = await this.read();
    this.last = after;
    this.stats.compared++;
    if (sameViews(before, after)) return [];
    this.markDirty(true);
    const from = before.takenAt - BACKGROUND_MARGIN_MS;
    const to = after.takenAt + BACKGROUND_MARGIN_MS;
    if ([...this.deadlines].some((at) => at >= from && at <= to)) {
      this.stats.inconclusive++;
      return [];
    }
    const changed = Object.keys(after.views)
      .filter((label) => before.views[label] !== after.views[label])
      .map(
        (label) =>
          `a refused request changed the ${label}: ${preview(before.views[label], 400)} → ${preview(after.views[label], 400)}`,
      );
    // What ran just before, so a reader can tell a late effect of an earlier success apart.
    const now = Date.now();
    const recent = this.recent.map(
      (entry) => `${now - entry.at} ms earlier: ${entry.summary} → ${entry.status}`,
    );
    return [...changed, `the mutating cases before it, oldest first: ${recent.join(" | ")}`];
  }

  /** Notes a mutating case, for the report of a later state change. */
  record(summary: string, status: number): void {
    this.recent.push({ at: Date.now(), summary: preview(summary, 160), status });
    if (this.recent.length > RECENT_CASES_KEPT) this.recent.shift();
  }

  /** After a mutating case that was not refused: state may have changed, and with
   * `outboxEffects` it may still change once the actor's outbox delivers. */
  markDirty(outboxEffects: boolean): void {
    this.dirty = true;
    if (outboxEffects) this.quietMs = Math.max(this.quietMs, SETTLE_OUTBOX_QUIET_MS);
  }

  /** Takes note of what a response reveals: future deadlines and rotated creation tokens. */
  learn(text: string): void {
    for (const match of text.matchAll(DEADLINE_FIELD)) {
      const at = Date.parse(match[1] as string);
      if (Number.isFinite(at) && at > clock.now()) this.deadlines.add(at);
    }
    const body = parseJson(text);
    const token = body?.token;
    if (typeof token === "string" && token.startsWith("rct_")) {
      if (token.startsWith(`rct_${this.creationId}.`)) this.tokens.creation = token;
      if (token.startsWith(`rct_${this.otherCreationId}.`)) this.tokens.otherCreation = token;
    }
  }

  /** Puts back what successful fuzz requests legitimately took away (the subdomain released),
   * so later cases still reach the handlers. */
  private async repair(snapshot: Snapshot): Promise<boolean> {
    if (!/"available":true/.test(snapshot.views.subdomain ?? "")) return false;
    await api(`/v1/subdomains/${FUZZ_SUBDOMAIN}/claim`, {
      method: "POST",
      headers: await ownerHeaders(),
    });
    return true;
  }
}

const sameViews = (a: Snapshot, b: Snapshot) =>
  Object.keys(a.views).every((label) => a.views[label] === b.views[label]);

/** Drops what changes by itself from a view: a schedule's run bookkeeping (it fires and
 * retries on its own); definitions stay. */
function normalize(label: string, text: string): string {
  if (label !== "schedule definitions") return text;
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) return text;
  return JSON.stringify(
    list.map(({ name, cron, at, target, payload }) => ({ name, cron, at, target, payload })),
  );
}
