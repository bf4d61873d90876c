// A creation's secrets vault as its actor serves it: write-only to its owner and the platform
// (never its own token), read only by resolveCreationSecret (../secrets/resolve.ts).

import type { Principal } from "../../shared/schemas/principal.ts";
import type { PutSecret, SecretList, SecretWritten } from "../../shared/schemas/secret.ts";
import { authorize } from "../access.ts";
import { SecretVault } from "../secrets/vault.ts";
import { creationAccount } from "../wallet/account.ts";
import type { CreationHost } from "./host.ts";
import type { CreationRow } from "./schema.ts";

export class CreationSecrets {
  constructor(private readonly host: CreationHost) {}

  put(caller: Principal, name: string, input: PutSecret): Promise<SecretWritten> {
    return this.managed(caller).put(name, input);
  }

  list(caller: Principal): SecretList {
    return this.managed(caller).list();
  }

  delete(caller: Principal, name: string): void {
    this.managed(caller).delete(name);
  }

  /** This creation's own secret, and its owner to fall back on: for resolveCreationSecret only,
   *  never behind a route. */
  async value(name: string): Promise<{ owner: string; value: string | null }> {
    const row = this.host.require();
    return { owner: row.owner, value: await this.vault(row).value(name) };
  }

  /** The vault as its owner or the platform manage it (never the creation's own token). */
  private managed(caller: Principal): SecretVault {
    const row = this.host.require();
    authorize(caller, this.host.owned(row), ["owner", "service"]);
    return this.vault(row);
  }

  /** Sealed under the creation's account name, so a row copied to another owner fails to open. */
  private vault(row: CreationRow): SecretVault {
    return new SecretVault(
      this.host.storage.sql,
      this.host.env.SECRETS_ENCRYPTION_KEY,
      creationAccount(row.id),
    );
  }
}
