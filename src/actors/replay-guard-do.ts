// ReplayGuardDO: remembers the service signatures of mutating requests until they could no
// longer be accepted anyway (timestamp + tolerance), so a captured signed request cannot be
// sent again to repeat its effect. Sharded by the signature itself: HMAC output is uniform, so
// the shards share the load evenly and no single actor sees every signed call.

import * as v from "valibot";
import { clock } from "../shared/clock.ts";
import { REPLAY_GUARD_SHARDS } from "../shared/limits.ts";
import { Actor } from "./actor.ts";
import { refusalsAsValues } from "./refusal.ts";

const ClaimSchema = v.object({
  signature: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 hex digits")),
  expires_at_ms: v.pipe(v.number(), v.integer()),
});

const UINT32_RANGE = 2 ** 32;

/** The shard that remembers a signature (hex HMAC): its first 32 bits, uniform, scaled to the
 * shard count, so any REPLAY_GUARD_SHARDS spreads the load evenly (with 16, the first hex digit). */
export function replayGuardShard(signatureHex: string): string {
  const position = Number.parseInt(signatureHex.slice(0, 8), 16) / UINT32_RANGE;
  return `shard-${Math.floor(position * REPLAY_GUARD_SHARDS)}`;
}

export class ReplayGuardDO extends Actor {
  static override readonly migrations = [
    {
      name: "seen",
      sql: `CREATE TABLE seen (signature TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
            CREATE INDEX seen_by_expiry ON seen (expires_at);`,
    },
  ];

  /**
   * Records a signature; false when it was already recorded and has not expired. Expired ones
   * are forgotten first, so the table holds at most the signatures of one tolerance window.
   */
  claim(input: { signature: string; expires_at_ms: number }): boolean {
    const { signature, expires_at_ms } = v.parse(ClaimSchema, input);
    this.sql.exec("DELETE FROM seen WHERE expires_at <= ?", clock.now());
    const inserted = this.sql
      .exec(
        "INSERT INTO seen (signature, expires_at) VALUES (?, ?) ON CONFLICT (signature) DO NOTHING RETURNING 1",
        signature,
        expires_at_ms,
      )
      .toArray();
    return inserted.length === 1;
  }
}

refusalsAsValues<ReplayGuardDO, Actor>(ReplayGuardDO, { claim: true });
