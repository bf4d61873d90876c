// Property-based fuzzing of POST /v1/admin/registry/import, signed as the platform (or sent by
// an admin, or by a user who is neither): per-key records and the older monolithic blob, with
// hostile keys (`subdomain:__proto__`, `config:__proto__`, `__proto__`, prototype words,
// malformed names), hostile records (JSON strings holding `__proto__` keys or 10,000 levels,
// wrong types, hostile owners and collaborators) and batches over the limit. The names a
// case could claim are new to the run, so what the import did to them can be read back:
//   - a refused import (4xx) claims, reserves and sets aside none of them;
//   - an accepted one reports every key it was given exactly where it went (imported,
//     unchanged or skipped with a reason) and no key it was not given; a name it reports
//     imported is held, a name it reports skipped is still free;
// plus what every fuzz answer holds (no 5xx, problem+json errors, prototypes untouched, so no
// pollution however the records are nested, /health up).

import * as fc from "fast-check";
import { afterAll } from "vitest";
import { recordsFromBlob } from "../../src/registry/layouts.ts";
import {
  REGISTRY_IMPORT_BATCH_MAX,
  REQUEST_BODY_MAX_BYTES,
  SUBDOMAIN_MAX_LENGTH,
} from "../../src/shared/limits.ts";
import { api, bearer, serviceHeaders } from "../helpers.ts";
import { type CaseOf, CaseReport, codeOf, fresh, fuzzProperties, refused } from "./exchange.ts";
import { DEEP_NESTING, deepObject, LONE_SURROGATES, PROTOTYPE_PAYLOADS } from "./hostile.ts";
import { PrototypeGuard, parseJson } from "./invariants.ts";
import { Entries, type JsonLike, jsonText, LongString, RawJson } from "./json-text.ts";

const guard = new PrototypeGuard();
/** Names a case may use: each stands for a name no earlier case used. Subdomain records use
 * the first ones, the reserved list and the preallocations their own, so one name is never
 * claimed and reserved by the same case. */
const SLOTS = { subdomain: [0, 1, 2], reserved: [3, 4], preallocated: [5, 6] } as const;
const SLOT_COUNT = 7;
const slot = (index: number) => `$name${index}$`;
const SLOT_PATTERN = /\$name(\d)\$/g;
/** A name in capitals: the import lowercases it, so it claims the slot's name. */
const upperSlot = (index: number) => `$NAME${index}$`;

type Pair = readonly [string, JsonLike];

// ── records ───────────────────────────────────────────────────────────────────────────────

const WRONG_TYPES: readonly JsonLike[] = [null, true, 7, [], new Entries([])];

const ownerArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<JsonLike>("imp-owner", "__proto__", "constructor") },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>(
      "",
      "a b",
      "\u00e9",
      LONE_SURROGATES[0] as RawJson,
      new LongString("o", 10_000),
      ...WRONG_TYPES,
    ),
  },
);

const hostileText = fc.constantFrom<JsonLike>(
  "",
  "not a date",
  "2026-02-30T00:00:00Z",
  "__proto__",
  LONE_SURROGATES[0] as RawJson,
  new LongString("x", 10_000),
  ...WRONG_TYPES,
);

const collaboratorArb = fc
  .record({
    email: fc.constantFrom<JsonLike>("ann@example.com", "ANN@EXAMPLE.COM", "", "not-an-email", 7),
    userId: fc.option(
      fc.constantFrom<JsonLike>("ann", "__proto__", "", LONE_SURROGATES[0] as RawJson, 7),
      { nil: undefined },
    ),
    status: fc.option(fc.constantFrom<JsonLike>("active", "invited", "__proto__", 7), {
      nil: undefined,
    }),
    right: fc.option(fc.constantFrom<JsonLike>("read", "write", "admin", "owner", "__proto__"), {
      nil: undefined,
    }),
    invitedAt: fc.option(hostileText, { nil: undefined }),
  })
  .map(
    (fields) =>
      new Entries(
        Object.entries(fields).filter(
          (entry): entry is [string, JsonLike] => entry[1] !== undefined,
        ),
      ) as JsonLike,
  );

/** A seed 004 record: `ownerId` (or the oldest records' `userId`) and what came with it. */
const recordArb = fc
  .record({
    ownerKey: fc.constantFrom("ownerId", "userId"),
    owner: ownerArb,
    claimedAt: fc.option(hostileText, { nil: undefined }),
    status: fc.option(fc.constantFrom<JsonLike>("active", "frozen", "deleted", "__proto__", 7), {
      nil: undefined,
    }),
    collaborators: fc.option(
      fc.oneof(
        fc.array(collaboratorArb, { maxLength: 3 }),
        fc.constantFrom<JsonLike>("str", 7, new Entries([])),
      ),
      { nil: undefined },
    ),
    extras: fc.option(
      fc.constantFrom<Pair>(
        ["constructor", new Entries([["prototype", new Entries([["polluted", "yes"]])]])],
        ["prototype", new Entries([["polluted", "yes"]])],
        ["toString", 1],
        ["isAdmin", true],
      ),
      { nil: undefined },
    ),
  })
  .map(
    ({ ownerKey, owner, claimedAt, status, collaborators, extras }) =>
      new Entries([
        [ownerKey, owner],
        ...(claimedAt === undefined ? [] : [["claimedAt", claimedAt] as const]),
        ...(status === undefined ? [] : [["status", status] as const]),
        ...(collaborators === undefined ? [] : [["collaborators", collaborators] as const]),
        ...(extras === undefined ? [] : [extras]),
      ]),
  );

/** What a `subdomain:<name>` key holds: a record, the record as a JSON string (seed 004's
 * KV held text), a string that smuggles `__proto__` or depth, or no record at all. */
const recordValueArb: fc.Arbitrary<JsonLike> = fc.oneof(
  { weight: 4, arbitrary: recordArb },
  { weight: 2, arbitrary: recordArb.map((record) => jsonText(record)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>(
      '{"__proto__":{"polluted":"yes"},"ownerId":"imp-owner"}',
      '{"ownerId":"imp-owner","collaborators":[{"email":"a@b.c","__proto__":{"polluted":"yes"}}]}',
      '{"constructor":{"prototype":{"polluted":"yes"}},"ownerId":"imp-owner"}',
      // As JSON text inside a JSON string; printed as its label in a counterexample.
      new RawJson(
        JSON.stringify(`{"ownerId":"imp-owner","x":${deepObject(DEEP_NESTING).text}}`),
        `a record as text, ${DEEP_NESTING} levels deep`,
        "string",
      ),
      "not json",
      "",
      "null",
      '"imp-owner"',
      ...WRONG_TYPES,
    ),
  },
);

/** Items of the reserved list, objects with their own `toString` among them (findings.test.ts). */
const reservedItemArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SLOTS.reserved).map((i) => slot(i) as JsonLike) },
  { weight: 1, arbitrary: fc.constantFrom(...SLOTS.reserved).map((i) => upperSlot(i) as JsonLike) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "",
      "-x",
      "a_b",
      "__proto__",
      "%41",
      LONE_SURROGATES[0] as RawJson,
      new LongString("r", SUBDOMAIN_MAX_LENGTH + 1),
      7,
      null,
      [],
      [["nested"]],
      new Entries([["constructor", 1]]),
      new Entries([["valueOf", 1]]),
      new Entries([["toString", 1]]),
      [new Entries([["toString", new Entries([])]])],
    ),
  },
);

const reservedArb: fc.Arbitrary<JsonLike> = fc.oneof(
  { weight: 3, arbitrary: fc.array(reservedItemArb, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.array(reservedItemArb, { maxLength: 4 }).map((list) => jsonText(list)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>("not json", '{"a":1}', 7, null, new Entries([])),
  },
);

const preallocatedArb: fc.Arbitrary<JsonLike> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(...SLOTS.preallocated).map(slot),
            fc.constantFrom("", "-x", "constructor", "prototype", "toString", "%41"),
          ),
          fc.constantFrom<JsonLike>("imp-owner", "__proto__", "", "a b", 7, null, new Entries([])),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => new Entries(pairs)),
  },
  {
    weight: 1,
    arbitrary: fc.constant(`{"${slot(SLOTS.preallocated[0])}":"imp-owner","constructor":"x"}`),
  },
  { weight: 1, arbitrary: fc.constantFrom<JsonLike>("not json", "[]", 7, null, []) },
);

/** A key of the per-key layout, and the value it holds (keys are also in the blob's claims). */
const recordEntryArb: fc.Arbitrary<Pair> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constantFrom(...SLOTS.subdomain).map((i) => `subdomain:${slot(i)}`),
      recordValueArb,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(...SLOTS.subdomain).map((i) => `subdomain:${upperSlot(i)}`),
      recordValueArb,
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant("config:reserved"), reservedArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant("config:preallocated"), preallocatedArb) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(
        "subdomain:__proto__",
        "subdomain:prototype",
        "subdomain:",
        "subdomain:a:b",
        "subdomain:-x",
        "subdomain:%41",
        "subdomain: x",
        `subdomain:${"a".repeat(SUBDOMAIN_MAX_LENGTH + 1)}`,
        "subdomain:\u00e9",
        "user:imp-owner",
        "user:__proto__",
        "config:__proto__",
        "config:",
        "constructor",
        "prototype",
        "toString",
        "hasOwnProperty",
        "",
        ":",
      ),
      recordValueArb,
    ),
  },
);

/** The per-key layout: distinct keys (JSON keeps the last of a repeated one). */
const recordsArb = fc
  .uniqueArray(recordEntryArb, { maxLength: 5, selector: ([key]) => key })
  .map((pairs) => new Entries(pairs));

/** The monolithic blob: `{ claims: { name: record }, reserved, preallocated }`. */
const blobArb: fc.Arbitrary<JsonLike> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        claims: fc.oneof(
          fc
            .uniqueArray(
              fc.tuple(
                fc.oneof(
                  fc.constantFrom(...SLOTS.subdomain).map(slot),
                  fc.constantFrom("__proto__", "constructor", "", "-x"),
                ),
                recordValueArb,
              ),
              { maxLength: 3, selector: ([name]) => name },
            )
            .map((pairs) => new Entries(pairs) as JsonLike),
          fc.constantFrom<JsonLike>("str", [], 7, null),
        ),
        reserved: fc.option(reservedArb, { nil: undefined }),
        preallocated: fc.option(preallocatedArb, { nil: undefined }),
      })
      .map(
        ({ claims, reserved, preallocated }) =>
          new Entries([
            ["claims", claims],
            ...(reserved === undefined ? [] : [["reserved", reserved] as const]),
            ...(preallocated === undefined ? [] : [["preallocated", preallocated] as const]),
          ]),
      ),
  },
  { weight: 1, arbitrary: fc.constant("not a blob") },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>(
      `{"claims":{"__proto__":{"ownerId":"imp-owner"}}}`,
      `{"__proto__":{"claims":{"${slot(0)}":{"ownerId":"imp-owner"}}}}`,
      `{"constructor":{"prototype":{"polluted":"yes"}},"claims":{}}`,
      new RawJson(
        JSON.stringify(`{"claims":${deepObject(DEEP_NESTING).text}}`),
        `a blob as text, ${DEEP_NESTING} levels deep`,
        "string",
      ),
      "not json",
      "[]",
      "null",
      ...WRONG_TYPES,
    ),
  },
);

/** What a case sends: the body's form, the caller, and what may make it a refusal. */
const importArb = fc.record({
  form: fc.oneof(
    { weight: 6, arbitrary: recordsArb.map((records) => ({ kind: "records" as const, records })) },
    { weight: 3, arbitrary: blobArb.map((registry) => ({ kind: "registry" as const, registry })) },
  ),
  /** Blobs sent "as text": the blob above, as a JSON string. */
  blobAsText: fc.boolean(),
  caller: fc.oneof(
    { weight: 4, arbitrary: fc.constant("platform" as const) },
    fc.constantFrom("admin" as const, "user" as const),
  ),
  /** Puts the body outside RegistryImportSchema or the JSON rules, now and then. */
  breaker: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "both records and registry",
        "neither",
        "an unknown field",
        "a __proto__ key among the records",
        "a __proto__ key inside a record",
        `${REGISTRY_IMPORT_BATCH_MAX + 1} records`,
      ),
    },
  ),
});

type ImportCase = CaseOf<typeof importArb>;

function bodyOf({ form, blobAsText, breaker }: Omit<ImportCase, "caller">): Entries {
  const records = form.kind === "records" ? form.records : new Entries([]);
  const registry =
    form.kind === "registry"
      ? blobAsText && form.registry instanceof Entries
        ? jsonText(form.registry)
        : form.registry
      : undefined;
  switch (breaker) {
    case "both records and registry":
      return new Entries([
        ["records", records],
        ["registry", registry ?? "{}"],
      ]);
    case "neither":
      return new Entries([]);
    case "an unknown field":
      return new Entries([
        ...bodyOf({ form, blobAsText, breaker: undefined }).entries,
        ["dry_run", true],
      ]);
    case "a __proto__ key among the records":
      return new Entries([
        [
          "records",
          new Entries([...records.entries, ...(PROTOTYPE_PAYLOADS[0] as Entries).entries]),
        ],
      ]);
    case "a __proto__ key inside a record":
      return new Entries([
        [
          "records",
          new Entries([
            ...records.entries,
            [
              `subdomain:${slot(0)}`,
              new Entries([
                ["ownerId", "imp-owner"],
                ...(PROTOTYPE_PAYLOADS[3] as Entries).entries,
              ]),
            ],
          ]),
        ],
      ]);
    case `${REGISTRY_IMPORT_BATCH_MAX + 1} records`:
      return new Entries([
        [
          "records",
          new Entries([
            [`subdomain:${slot(0)}`, new Entries([["ownerId", "imp-owner"]])],
            ...Array.from(
              { length: REGISTRY_IMPORT_BATCH_MAX },
              (_, index) => [`junk:${index}`, 1] as const,
            ),
          ]),
        ],
      ]);
    default:
      return form.kind === "records"
        ? new Entries([["records", records]])
        : new Entries([["registry", registry as JsonLike]]);
  }
}

interface NameState {
  available: boolean;
  reserved: boolean;
  preallocated: boolean;
  owner: string | null;
}

/** The keys the server was given, as it reads them: the records' own keys, or the per-key
 * records src/registry/layouts.ts turns a blob into (undefined when the blob is not one). */
function keysGiven(text: string): string[] | undefined {
  const body = parseJson(text) as { records?: object; registry?: unknown } | undefined;
  if (body?.records) return Object.keys(body.records);
  try {
    return Object.keys(recordsFromBlob(body?.registry));
  } catch {
    return undefined;
  }
}

/** What the imports came to, printed after the run: a property whose bodies all bounce off the
 * schema would test no importer. */
const stats = { imports: 0, refused: 0, keysImported: 0, keysSkipped: 0 };

/** Whether a parsed value holds an own "__proto__" key at any depth (JSON.parse makes one). */
function hasPrototypeKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Object.hasOwn(value, "__proto__")) return true;
  return Object.values(value).some(hasPrototypeKey);
}

async function importCase(generated: ImportCase) {
  const report = new CaseReport(guard);
  const names = Array.from({ length: SLOT_COUNT }, () => fresh("imp"));
  let text = jsonText(bodyOf(generated));
  const used = new Set<number>();
  text = text
    .replace(/\$NAME(\d)\$/g, (_, index: string) => {
      used.add(Number(index));
      return (names[Number(index)] as string).toUpperCase();
    })
    .replace(SLOT_PATTERN, (_, index: string) => {
      used.add(Number(index));
      return names[Number(index)] as string;
    });
  const path = "/v1/admin/registry/import";
  const headers =
    generated.caller === "platform"
      ? await serviceHeaders("POST", path, text)
      : await bearer({ sub: "imp-caller", admin: generated.caller === "admin" });
  const answer = await report.send(`import as the ${generated.caller}`, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: text,
  });
  stats.imports++;
  if (refused(answer)) stats.refused++;
  stats.keysImported += Array.isArray(answer.json?.imported) ? answer.json.imported.length : 0;
  stats.keysSkipped += Array.isArray(answer.json?.skipped) ? answer.json.skipped.length : 0;
  const states = new Map<number, NameState>();
  for (const index of used) {
    const name = names[index] as string;
    const read = await api(`/v1/subdomains/${name}`);
    states.set(index, (await read.json()) as NameState);
  }
  report.note(
    `names: ${JSON.stringify(Object.fromEntries([...states].map(([i, s]) => [names[i], s])))}`,
  );
  const untouched = (index: number) => {
    const state = states.get(index);
    return !state || (state.available && !state.reserved && !state.preallocated && !state.owner);
  };
  if (refused(answer)) {
    for (const index of used) {
      report.expect(
        untouched(index),
        `a refused import (${codeOf(answer)}) changed ${names[index]}`,
      );
    }
  }
  // A "__proto__" key anywhere in the body (a claim named so, say) breaks the JSON rules, and
  // several deep records together may pass the body limit.
  const breaker =
    generated.breaker ??
    (new TextEncoder().encode(text).length > REQUEST_BODY_MAX_BYTES
      ? "a body over the limit"
      : hasPrototypeKey(parseJson(text))
        ? "a __proto__ key"
        : undefined);
  // The body is read before the caller's rights, so only a well-formed body meets the 403.
  if (generated.caller === "user" && breaker === undefined) {
    report.expect(answer.status === 403, `a user who is not an admin got ${answer.status}`);
  }
  if (breaker !== undefined) {
    report.expect(refused(answer), `an import with ${breaker} answered ${answer.status}`);
  }
  if (answer.status === 200) {
    const result = answer.json as {
      imported?: unknown;
      unchanged?: unknown;
      skipped?: { key?: unknown; reason?: unknown }[];
    };
    const imported = Array.isArray(result.imported) ? (result.imported as string[]) : undefined;
    const unchanged = Array.isArray(result.unchanged) ? (result.unchanged as string[]) : undefined;
    const skipped = Array.isArray(result.skipped) ? result.skipped : undefined;
    report.expect(
      !!imported && !!unchanged && !!skipped && skipped.every((s) => typeof s.reason === "string"),
      "the report is not { imported, unchanged, skipped: [{ key, reason }] }",
    );
    const given = keysGiven(text);
    if (given && imported && unchanged && skipped) {
      const reported = new Set([...imported, ...unchanged, ...skipped.map((s) => String(s.key))]);
      const lost = given.filter((key) => !reported.has(key));
      report.expect(lost.length === 0, `keys with no outcome: ${JSON.stringify(lost)}`);
      const invented = [...imported, ...unchanged].filter((key) => !given.includes(key));
      report.expect(
        invented.length === 0,
        `outcomes for keys never sent: ${JSON.stringify(invented)}`,
      );
      for (const index of SLOTS.subdomain) {
        const keys = [`subdomain:${names[index]}`, `subdomain:${names[index]?.toUpperCase()}`];
        const state = states.get(index);
        if (!state) continue;
        if (keys.some((key) => imported.includes(key))) {
          report.expect(!!state.owner, `${names[index]} was reported imported but is not held`);
        } else if (keys.some((key) => skipped.some((s) => s.key === key))) {
          report.expect(!state.owner, `${names[index]} was reported skipped but is held`);
        }
      }
    }
  }
  await report.finish();
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

const budget = fuzzProperties(
  "registry import",
  "POST /v1/admin/registry/import with hostile records and blobs",
  {
    "never 5xx or pollution; a refused import claims nothing; every key gets one outcome":
      fc.asyncProperty(importArb, importCase),
  },
  // One import, then one read per name.
  1 + SLOT_COUNT,
);

afterAll(() => console.log(`registry import fuzz: ${budget.runs} runs, ${JSON.stringify(stats)}`));
