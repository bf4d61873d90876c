// Who is calling a wallet, and which wallet it is. A call names the wallet it means (a mix-up
// between actors is a bug and throws); a caller is admitted to the account it opens, and a
// creation's own credential is held to what this wallet learned of it: the token version and
// the keys its creation told it about (token-version.ts, creation-keys.ts).

import type { Principal } from "../../shared/schemas/principal.ts";
import { isKeyPrincipal } from "../../shared/schemas/principal.ts";
import { authorize, type Owned, type Role } from "../access.ts";
import { assertOwnName } from "../own-name.ts";
import { parseAccount } from "./account.ts";
import type { Opened, WalletBook } from "./book.ts";
import { CreationKeys } from "./creation-keys.ts";
import { CreationTokenVersion } from "./token-version.ts";

export class WalletGate {
  /** A creation wallet checks its creation's `rct_` tokens and secret keys itself. */
  readonly tokenVersion: CreationTokenVersion;
  readonly creationKeys: CreationKeys;

  constructor(
    private readonly sql: SqlStorage,
    env: Env,
    private readonly book: WalletBook,
  ) {
    this.tokenVersion = new CreationTokenVersion(sql, env);
    this.creationKeys = new CreationKeys(sql, env);
  }

  /** The account this wallet was opened as (its jobs run only in opened wallets). */
  accountName(): string {
    const stored = this.storedName();
    if (stored === null) throw new Error("A wallet job ran in a wallet that was never opened.");
    return stored;
  }

  /** Calls from another actor name the wallet they mean, of the kind they mean. */
  requireWallet(name: string, kind: "creation" | "user"): void {
    if (parseAccount(name).kind !== kind) throw new Error(`${name} is not a ${kind}'s wallet.`);
    const stored = this.storedName();
    if (stored !== null) assertOwnName("wallet", stored, name);
  }

  /** The account, opened, once the caller is allowed one of `allowed` on it. */
  async opened(name: string, caller: Principal, allowed: readonly Role[]): Promise<Opened> {
    const account = await this.admitted(name, caller);
    this.check(caller, account, allowed);
    return account;
  }

  /** Opens the account and, when its creation calls, learns what check() will hold its
   *  credential to: the token version or the key (from memory after the first call). */
  async admitted(name: string, caller: Principal): Promise<Opened> {
    const account = await this.book.open(name);
    if (account.kind === "creation" && caller.type === "creation" && caller.id === account.id) {
      if (isKeyPrincipal(caller)) await this.creationKeys.learn(account.id, caller.key_id);
      else await this.tokenVersion.learn(account.id, caller.token_version);
    }
    return account;
  }

  check(caller: Principal, account: Opened, allowed: readonly Role[]): void {
    const resource: Owned =
      account.kind === "creation"
        ? {
            owner: account.owner,
            creationId: account.id,
            credentials: {
              tokenVersion: this.tokenVersion.known(),
              key: (keyId) => this.creationKeys.known(keyId),
            },
          }
        : { owner: account.owner, creationId: null };
    authorize(caller, resource, allowed);
  }

  private storedName(): string | null {
    return this.sql.exec<{ name: string }>("SELECT name FROM account").toArray()[0]?.name ?? null;
  }
}
