// JSON Schema → fast-check arbitraries. Each generated value carries the clear violations of
// the schema it contains (decided by the oracle in schema.ts), so a property can demand a 4xx
// for exactly the requests the published contract rejects. In hostile mode every node, at
// every depth, may be replaced by a hostile value, lose a required field or gain extra keys.

import * as fc from "fast-check";
import { clock } from "../../src/shared/clock.ts";
import { hostileCandidates, nastyString, PROTOTYPE_PAYLOADS } from "./hostile.ts";
import { Entries, type JsonLike } from "./json-text.ts";
import { clearViolation, type JsonSchema, PROTOTYPE_KEYS } from "./schema.ts";

/** A value and the clear schema violations inside it (empty: valid as far as the oracle can
 * tell). */
export interface Gen {
  readonly value: JsonLike;
  readonly violations: readonly string[];
}

export interface GenContext {
  /** Values of a field or parameter name that exist in the fixture world (a creation id, the
   * owner's user id…), so valid requests reach the handlers instead of 404ing. */
  known(name: string): readonly string[];
  /** Sprinkle hostile values, missing required fields and extra keys. */
  readonly hostile: boolean;
}

/** Beyond this depth values are generated valid only (keeps documents small). */
const MAX_DEPTH = 4;
/** One node in VALID_WEIGHT + 1 is hostile. */
const VALID_WEIGHT = 7;
/** Generated strings stay short; the boundary lengths come from the hostile candidates. */
const GENERATED_STRING_MAX = 24;
const GENERATED_ARRAY_MAX = 3;
/** Keys added to objects that do not declare them. */
const EXTRA_KEYS = ["unknown_field", "isAdmin", "role", "privileged", "user_id"] as const;
/** Numbers for a schema without bounds lie within ± this (boundaryNumbers() adds extremes). */
const UNBOUNDED_NUMBER_RANGE = 1_000_000;

const valid = (value: JsonLike): Gen => ({ value, violations: [] });

/** A value for `schema` at `at` (a dotted path used in violation messages). */
export function genFor(
  schema: JsonSchema,
  ctx: GenContext,
  at: string,
  name?: string,
  depth = 0,
): fc.Arbitrary<Gen> {
  const good = validGen(schema, ctx, at, name, depth);
  if (!ctx.hostile || depth > MAX_DEPTH) return good;
  return fc.oneof(
    { withCrossShrink: true },
    { weight: VALID_WEIGHT, arbitrary: good },
    { weight: 1, arbitrary: hostileGen(schema, at) },
  );
}

/** A value whose root has the schema's shape, with hostility from its fields down (wrong
 * roots are a family of their own, so they do not crowd out deeper cases). */
export function genFields(schema: JsonSchema, ctx: GenContext, at: string): fc.Arbitrary<Gen> {
  return validGen(schema, ctx, at, undefined, 0);
}

/** A hostile value for `schema`, judged by the oracle. */
export function hostileGen(schema: JsonSchema, at: string): fc.Arbitrary<Gen> {
  const judged = (value: JsonLike): Gen => {
    const violation = clearViolation(schema, value, at);
    return { value, violations: violation ? [violation] : [] };
  };
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...hostileCandidates(schema)).map(judged) },
    { weight: 1, arbitrary: nastyString.map(judged) },
  );
}

function validGen(
  schema: JsonSchema,
  ctx: GenContext,
  at: string,
  name: string | undefined,
  depth: number,
): fc.Arbitrary<Gen> {
  if (schema.const !== undefined) return fc.constant(valid(schema.const as JsonLike));
  if (schema.enum) return fc.constantFrom(...(schema.enum as JsonLike[])).map(valid);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((branch) => genFor(branch, ctx, at, name, depth)));
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => validGen({ ...schema, type }, ctx, at, name, depth)));
  }
  switch (types[0]) {
    case "string":
      return stringArb(schema, ctx, name).map(valid);
    case "integer":
      return integerArb(schema).map(valid);
    case "number":
      return numberArb(schema).map(valid);
    case "boolean":
      return fc.boolean().map(valid);
    case "null":
      return fc.constant(valid(null));
    case "array":
      return arrayGen(schema, ctx, at, depth);
    case "object":
      return objectGen(schema, ctx, at, depth);
    default:
      return anyJson(ctx, depth);
  }
}

/** Any JSON (a schema of `{}`), sometimes with prototype keys inside. */
function anyJson(ctx: GenContext, depth: number): fc.Arbitrary<Gen> {
  const plain = fc.jsonValue({ maxDepth: 2 }).map((value) => valid(value as JsonLike));
  if (!ctx.hostile || depth > MAX_DEPTH) return plain;
  return fc.oneof(
    { weight: 4, arbitrary: plain },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_PAYLOADS).map(valid) },
  );
}

function stringArb(schema: JsonSchema, ctx: GenContext, name?: string): fc.Arbitrary<string> {
  const generated = schemaString(schema);
  const known = name ? ctx.known(name) : [];
  if (known.length === 0) return generated;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: generated },
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

function schemaString(schema: JsonSchema): fc.Arbitrary<string> {
  const fits = (text: string) =>
    text.length >= (schema.minLength ?? 0) && text.length <= (schema.maxLength ?? Infinity);
  switch (schema.format) {
    case "uuid":
      return fc.uuid();
    case "date-time":
      // Around now: some in the past, most ahead (expiry times must lie in the future).
      return fc
        .integer({ min: -DAY_MS, max: 30 * DAY_MS })
        .map((offset) => new Date(clock.now() + offset).toISOString());
    case "email":
      return fc.emailAddress({ size: "xsmall" }).filter(fits);
    case "uri":
      return fc.oneof(
        fc.constant("https://example.com/hooks"),
        fc.webUrl({ validSchemes: ["https"], size: "xsmall" }).filter(fits),
      );
  }
  if (schema.pattern) {
    const pattern = patternArb(schema.pattern);
    if (pattern) return pattern.filter(fits);
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 16, GENERATED_STRING_MAX));
  return fc.string({ minLength, maxLength });
}

/** fc.stringMatching for the pattern, or undefined when fast-check cannot build it. */
function patternArb(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern), { size: "xsmall" });
  } catch {
    return undefined;
  }
}

function integerArb(schema: JsonSchema): fc.Arbitrary<number> {
  const min =
    schema.minimum ??
    (schema.exclusiveMinimum === undefined ? -UNBOUNDED_NUMBER_RANGE : schema.exclusiveMinimum + 1);
  const max =
    schema.maximum ??
    (schema.exclusiveMaximum === undefined ? UNBOUNDED_NUMBER_RANGE : schema.exclusiveMaximum - 1);
  return fc.integer({
    min: Math.max(min, Number.MIN_SAFE_INTEGER),
    max: Math.min(max, Number.MAX_SAFE_INTEGER),
  });
}

function numberArb(schema: JsonSchema): fc.Arbitrary<number> {
  return fc.double({
    min: schema.minimum ?? -UNBOUNDED_NUMBER_RANGE,
    max: schema.maximum ?? UNBOUNDED_NUMBER_RANGE,
    noNaN: true,
    noDefaultInfinity: true,
  });
}

function arrayGen(
  schema: JsonSchema,
  ctx: GenContext,
  at: string,
  depth: number,
): fc.Arbitrary<Gen> {
  const minLength = schema.minItems ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, GENERATED_ARRAY_MAX));
  const item = schema.items ?? {};
  return fc
    .array(genFor(item, ctx, `${at}[]`, undefined, depth + 1), { minLength, maxLength })
    .map((items) => ({
      value: items.map((entry) => entry.value),
      violations: items.flatMap((entry) => entry.violations),
    }));
}

type Field = readonly [string, Gen] | { readonly missing: string };

function objectGen(
  schema: JsonSchema,
  ctx: GenContext,
  at: string,
  depth: number,
): fc.Arbitrary<Gen> {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([key, property]) =>
    fieldArb(key, property, required.has(key), ctx, `${at}.${key}`, depth),
  );
  const additional =
    typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  const record = additional
    ? fc.array(
        fc.tuple(
          ctx.hostile
            ? fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTOTYPE_KEYS))
            : fc.string({ maxLength: 8 }),
          genFor(additional, ctx, `${at}[*]`, undefined, depth + 1),
        ),
        { maxLength: 3 },
      )
    : fc.constant([] as [string, Gen][]);
  return fc
    .tuple(fc.tuple(...fields), record, extrasArb(schema, ctx, at))
    .map(([present, recordEntries, extras]) => {
      const entries: [string, JsonLike][] = [];
      const violations: string[] = [];
      for (const field of [...present, ...recordEntries, ...extras]) {
        if (field === undefined) continue;
        if ("missing" in field) {
          violations.push(`${at}: required field "${field.missing}" is missing`);
          continue;
        }
        entries.push([field[0], field[1].value]);
        violations.push(...field[1].violations);
      }
      return { value: new Entries(entries), violations };
    });
}

/** A declared property: required ones are present (in hostile mode, rarely dropped), optional
 * ones come and go. */
function fieldArb(
  key: string,
  property: JsonSchema,
  required: boolean,
  ctx: GenContext,
  at: string,
  depth: number,
): fc.Arbitrary<Field | undefined> {
  const present = genFor(property, ctx, at, key, depth + 1).map((gen) => [key, gen] as const);
  if (!required) return fc.option(present, { nil: undefined });
  if (!ctx.hostile) return present;
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 12, arbitrary: present },
    { weight: 1, arbitrary: fc.constant({ missing: key }) },
  );
}

/** Keys the schema does not declare: prototype keys with pollution payloads, and unknown
 * fields (a violation only where the object is closed). */
function extrasArb(schema: JsonSchema, ctx: GenContext, at: string): fc.Arbitrary<Field[]> {
  if (!ctx.hostile) return fc.constant([]);
  const declared = new Set(Object.keys(schema.properties ?? {}));
  const closed = schema.additionalProperties === false;
  const prototypeEntry = fc.constantFrom(...PROTOTYPE_PAYLOADS).map((payload): Field => {
    const [key, value] = payload.entries[0] as readonly [string, JsonLike];
    return [key, { value, violations: [] }];
  });
  const unknownEntry = fc
    .tuple(
      fc.constantFrom(...EXTRA_KEYS.filter((key) => !declared.has(key))),
      fc.jsonValue({ maxDepth: 1 }),
    )
    .map(([key, value]): Field => {
      const violations = closed ? [`${at}: unknown field "${key}" in a closed object`] : [];
      return [key, { value: value as JsonLike, violations }];
    });
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant<Field[]>([]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(prototypeEntry, unknownEntry), { minLength: 1, maxLength: 2 }),
    },
  );
}
