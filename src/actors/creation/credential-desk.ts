// A creation's credentials as its actor serves them: its `rct_` token's version and its webhook
// secret, rotated; its API keys (seed 003) created, listed, revoked and rolled, the secret key
// that replaces itself (seed 002), and the checks the edge asks for. The keys themselves (their
// format, hashes and rows) are api-keys.ts.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  type ApiKeyPage,
  type CreateApiKey,
  CreateApiKeySchema,
  type CreatedApiKey,
  type PublishableKeyInfo,
  type RollApiKey,
  RollApiKeySchema,
} from "../../shared/schemas/api-key.ts";
import { isKeyPrincipal, type Principal } from "../../shared/schemas/principal.ts";
import { mintCreationToken, newWebhookSecret } from "../../shared/tokens.ts";
import { authorize } from "../access.ts";
import type { KeyState } from "../creation-credentials.ts";
import { actorByName } from "../refusal.ts";
import { Serial } from "../serial.ts";
import { creationAccount } from "../wallet/account.ts";
import { ApiKeyRing } from "./api-keys.ts";
import type { CreationHost } from "./host.ts";

export class CreationCredentialDesk {
  private readonly ring: ApiKeyRing;
  /** Token rotations and key revocations and rolls, one at a time: each tells the wallet
   *  before it commits here, and must not interleave with another doing the same. */
  private readonly credentialChanges = new Serial();

  constructor(private readonly host: CreationHost) {
    this.ring = new ApiKeyRing(host.storage.sql, host.env.TOKEN_SECRET, {
      // The wallet checks secret keys itself: it is told a key's end before this actor commits.
      endInWallet: (keyId, state) => {
        const account = creationAccount(host.require().id);
        return actorByName(host.env.WALLET, account).endCreationKey(account, keyId, state);
      },
    });
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
      const row = this.host.require();
      authorize(caller, this.host.owned(row), ["owner", "service"]);
      const version = row.token_version + 1;
      const account = creationAccount(row.id);
      await actorByName(this.host.env.WALLET, account).raiseCreationTokenVersion(account, version);
      this.host.storage.sql.exec(
        "UPDATE creation SET token_version = ?, updated_at = ?",
        version,
        clock.now(),
      );
      return {
        token_version: version,
        token: await mintCreationToken(this.host.env.TOKEN_SECRET, row.id, version),
      };
    });
  }

  rotateWebhookSecret(caller: Principal): { webhook_secret: string } {
    authorize(caller, this.host.owned(this.host.require()), ["owner", "service"]);
    const secret = newWebhookSecret();
    this.host.storage.sql.exec(
      "UPDATE creation SET webhook_secret = ?, updated_at = ?",
      secret,
      clock.now(),
    );
    return { webhook_secret: secret };
  }

  async create(caller: Principal, input: CreateApiKey): Promise<CreatedApiKey> {
    const row = this.host.require();
    authorize(caller, this.host.owned(row), ["owner", "service"]);
    return this.ring.create(row.id, v.parse(CreateApiKeySchema, input), clock.now());
  }

  list(caller: Principal, query: { limit: number; cursor?: string | undefined }): ApiKeyPage {
    authorize(caller, this.host.owned(this.host.require()), ["owner", "admin", "service"]);
    return this.ring.page(query.limit, query.cursor, clock.now());
  }

  /** Ends a key at once (KEY_REVOKED from then on); a key in a roll's grace too. */
  revoke(caller: Principal, keyId: string): Promise<void> {
    return this.credentialChanges.run(async () => {
      authorize(caller, this.host.owned(this.host.require()), ["owner", "service"]);
      await this.ring.revoke(keyId, clock.now());
    });
  }

  /** A new key like the old one; the old one works until `grace_seconds` have passed. */
  roll(caller: Principal, keyId: string, input: RollApiKey): Promise<CreatedApiKey> {
    return this.credentialChanges.run(async () => {
      const row = this.host.require();
      authorize(caller, this.host.owned(row), ["owner", "service"]);
      const { grace_seconds } = v.parse(RollApiKeySchema, input);
      return this.ring.roll(row.id, keyId, grace_seconds, clock.now());
    });
  }

  /** Seed 002's regenerate-key: the secret key calling replaces itself and ends at once. */
  regenerate(caller: Principal): Promise<CreatedApiKey> {
    return this.credentialChanges.run(async () => {
      const row = this.host.require();
      authorize(caller, this.host.owned(row), ["self"]);
      if (caller.type !== "creation" || !isKeyPrincipal(caller)) {
        throw new ApiError("FORBIDDEN", "Send the secret key to replace as the bearer token.");
      }
      return this.ring.roll(row.id, caller.key_id, 0, clock.now());
    });
  }

  /** What this creation's wallet learns of a key on its first use there (wallet/creation-keys.ts). */
  state(keyId: string): KeyState | null {
    return this.ring.state(keyId);
  }

  /** The edge checks a secret key here for routes whose actor does not know the creation's
   *  keys, and records the use (at most once a minute). */
  useSecret(caller: Principal): void {
    if (caller.type !== "creation" || !isKeyPrincipal(caller)) {
      throw new Error("useSecretKey takes a secret key's principal.");
    }
    authorize(caller, this.host.owned(this.host.require()), ["self"]);
    this.ring.touch(caller.key_id, clock.now());
  }

  /** Records a use of a key the route's actor has checked (at most once a minute). */
  touch(keyId: string): void {
    this.ring.touch(keyId, clock.now());
  }

  /** Checks a publishable key and the page's origin; answers what the key tells a page. */
  usePublishable(keyId: string, hash: string, origin: string | null): PublishableKeyInfo {
    const row = this.host.require();
    const key = this.ring.usePublishable(keyId, hash, origin, clock.now());
    return {
      key_id: key.id,
      creation_id: row.id,
      mode: key.mode,
      creation: { name: row.name, allow_anonymous: row.allow_anonymous === 1 },
    };
  }
}
