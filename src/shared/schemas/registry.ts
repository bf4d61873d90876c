// Seed 004's registry API (under /registry) and the admin import and search of names. The seed's
// request bodies are loose objects: its clients may send fields the seed never read, and
// the compatibility surface accepts what the seed accepted.

import * as v from "valibot";
import { EmailSchema, UserIdSchema } from "../ids.ts";
import { JsonObjectSchema } from "../json.ts";
import { REGISTRY_IMPORT_BATCH_MAX, SUBDOMAINS_PAGE_MAX } from "../limits.ts";
import { pageLimitSchema } from "./meta.ts";
import { CollaboratorRightSchema } from "./subdomain.ts";

export const RegistryNameBodySchema = v.looseObject({ subdomain: v.string() });
export const RegistryInviteBodySchema = v.looseObject({
  subdomain: v.string(),
  email: EmailSchema,
  right: v.optional(CollaboratorRightSchema, "write"),
});
export const RegistryNameParamsSchema = v.object({ subdomain: v.string() });
export const RegistryAccessQuerySchema = v.object({ userId: UserIdSchema });

export const SubdomainSearchQuerySchema = v.object({
  owner: v.optional(UserIdSchema),
  prefix: v.optional(
    v.pipe(
      v.string(),
      v.toLowerCase(),
      v.regex(/^[a-z0-9-]{1,63}$/, "must be the start of a name"),
    ),
  ),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(63))),
  limit: pageLimitSchema(SUBDOMAINS_PAGE_MAX),
});

export const RegistryImportSchema = v.pipe(
  v.strictObject({
    /** Per-key records: `subdomain:<name>`, `user:<id>`, `config:reserved`, `config:preallocated`. */
    records: v.optional(
      v.pipe(
        // Not v.record: it silently drops the keys "constructor" and "prototype", and every
        // record must get an outcome (the importer reports keys it does not know as skipped).
        JsonObjectSchema,
        v.check(
          (records) => Object.keys(records).length <= REGISTRY_IMPORT_BATCH_MAX,
          `must hold at most ${REGISTRY_IMPORT_BATCH_MAX} records; send batches`,
        ),
      ),
    ),
    /** The older monolithic `registry` blob: `{ claims, reserved, preallocated }`. */
    registry: v.optional(v.unknown()),
  }),
  v.check(
    (body) => (body.records === undefined) !== (body.registry === undefined),
    "give exactly one of records and registry",
  ),
);
