// The current version of a creation's `rct_` tokens, as the creation's wallet knows it, so a
// spend with the creation's token is one actor hop: the wallet checks the token itself instead
// of the router asking the creation's actor first. Learned from the creation's actor on the
// first use of its token here; raised by the creation before each rotation answers. The version
// only ever goes up, so a raise that arrives late or twice changes nothing.

import { ApiError } from "../../shared/errors.ts";
import { actorByName } from "../refusal.ts";

export class CreationTokenVersion {
  /** The stored version, read once: every raise goes through this object (single writer). */
  private cached: number | null | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {}

  /** The version as known here; null when never learned. */
  known(): number | null {
    if (this.cached === undefined) {
      this.cached =
        this.sql.exec<{ version: number }>("SELECT version FROM creation_token").toArray()[0]
          ?.version ?? null;
    }
    return this.cached;
  }

  /**
   * Makes sure the version is known before a token of `creationId` claiming `claimed` is
   * checked. Asks the creation's actor when nothing is known yet, or when the token is newer
   * than what is known (the raise of that rotation was lost: heal rather than refuse a token
   * the creation has handed out). A token older than what is known costs no call.
   */
  async learn(creationId: string, claimed: number): Promise<void> {
    const known = this.known();
    if (known !== null && claimed <= known) return;
    const current = await actorByName(this.env.CREATION, creationId).tokenVersion();
    if (current === null) {
      throw new ApiError("INVALID_TOKEN", "The creation of this token does not exist.");
    }
    this.raise(current);
  }

  /** Records `version` unless a newer one is known; returns the version now known. */
  raise(version: number): number {
    const { version: stored } = this.sql
      .exec<{ version: number }>(
        `INSERT INTO creation_token (only, version) VALUES (1, ?)
         ON CONFLICT (only) DO UPDATE SET version = max(version, excluded.version)
         RETURNING version`,
        version,
      )
      .one();
    this.cached = stored;
    return stored;
  }
}
