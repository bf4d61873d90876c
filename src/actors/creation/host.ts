// What the parts of a creation's actor (credential-desk.ts, catalog.ts, metering/, secrets-desk.ts) use
// of it: its storage and bindings, its row, and the creation as a resource access is judged on.

import type { Owned } from "../access.ts";
import type { CreationRow } from "./schema.ts";

export interface CreationHost {
  storage: DurableObjectStorage;
  env: Env;
  /** The creation's row; CREATION_NOT_FOUND when it does not exist. */
  require(): CreationRow;
  /** The creation as a resource: its owner, and its credentials as this actor knows them. */
  owned(row: CreationRow): Extract<Owned, { creationId: string }>;
}
