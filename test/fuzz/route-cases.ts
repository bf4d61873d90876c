// How the route fuzzer builds its cases: one arbitrary per family of hostility per operation,
// from the operation's JSON Schemas and the fixture world's known values. Each case records
// the clear violations of the published contract it contains, so the test can demand a 4xx.

import * as fc from "fast-check";
import { REQUEST_BODY_MAX_BYTES } from "../../src/shared/limits.ts";
import { type Credential, INVALID_CREDENTIALS, VALID_CREDENTIALS } from "./credentials.ts";
import { type Gen, type GenContext, genFields, genFor } from "./generate.ts";
import {
  CONTENT_TYPES,
  HOSTILE_BODIES,
  HOSTILE_PATH_SUFFIXES,
  HOSTILE_QUERY_PAIRS,
  HOSTILE_SEGMENTS,
  nastyString,
} from "./hostile.ts";
import type { JsonLike } from "./json-text.ts";
import {
  type BodyCase,
  type Operation,
  type Parameter,
  type RouteCase,
  takesBody,
  type UrlPart,
} from "./operations.ts";
import { clearViolation, type JsonSchema } from "./schema.ts";

/** The families of hostility, each its own property per operation. */
export const FAMILIES = {
  credentials: "refuses wrong or missing credentials",
  urls: "survives hostile path parameters, path suffixes and query strings",
  fields: "survives hostile values in every body field, at every depth",
  bodies: "survives hostile whole bodies and content types",
} as const;
export type Family = keyof typeof FAMILIES;

/** Stripe's event, which the document leaves open (the route reads the raw body to verify the
 * signature); generated from this sketch and, half the time, correctly signed. It is not the
 * published contract, so its violations are not held against the server. */
const STRIPE_EVENT_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    id: { type: "string", minLength: 1, maxLength: 255 },
    type: {
      enum: [
        "payment_intent.succeeded",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
      ],
    },
    created: { type: "integer", minimum: 0, maximum: 4_102_444_800 },
    data: {
      type: "object",
      properties: {
        object: {
          type: "object",
          properties: {
            id: { type: "string" },
            metadata: {
              type: "object",
              properties: {
                user_id: { type: "string" },
                creation_id: { type: "string", format: "uuid" },
                amount: { type: "string", pattern: "^[1-9]\\d{0,3}$" },
                plan: { enum: ["starter", "pro"] },
              },
            },
          },
          required: ["metadata"],
        },
      },
      required: ["object"],
    },
  },
  required: ["id", "type", "data"],
};
const STRIPE_OPERATIONS = new Set(["stripeWebhook", "registryWebhook"]);
export const isStripe = (operation: Operation) => STRIPE_OPERATIONS.has(operation.operationId);

/** The body schema to generate from, and whether it is the published contract. */
function bodySchemaOf(operation: Operation): { schema: JsonSchema; contract: boolean } | undefined {
  if (operation.body) return { schema: operation.body, contract: true };
  if (isStripe(operation)) return { schema: STRIPE_EVENT_SCHEMA, contract: false };
  return undefined;
}

export function familiesOf(operation: Operation): Family[] {
  const families: Family[] = [];
  if (operation.auth !== "public") families.push("credentials");
  families.push("urls");
  if (bodySchemaOf(operation)) families.push("fields");
  if (takesBody(operation)) families.push("bodies");
  return families;
}

// ── arbitraries ───────────────────────────────────────────────────────────────────────────

/** Generators of one fixture world: `known` names the values that exist in it. */
type Contexts = ReturnType<typeof contexts>;

function contexts(known: (name: string) => readonly string[]) {
  const valid: GenContext = { known, hostile: false };
  return { valid, hostile: { ...valid, hostile: true } as GenContext };
}

/** Credentials of the principals the route admits, now and then none or another kind. */
function routeCredentialArb(operation: Operation): fc.Arbitrary<Credential> {
  const all = Object.values(VALID_CREDENTIALS).flat() as Credential[];
  if (operation.auth === "public") return fc.constantFrom<Credential>("none", "owner");
  const admitted =
    operation.auth === "optional"
      ? (["none", ...all] as Credential[])
      : operation.auth.flatMap((kind) => VALID_CREDENTIALS[kind] as readonly Credential[]);
  const others = all.filter((credential) => !admitted.includes(credential));
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...admitted) },
    { weight: 1, arbitrary: fc.constantFrom<Credential>("none", "garbageBearer") },
    ...(others.length ? [{ weight: 1, arbitrary: fc.constantFrom(...others) }] : []),
  );
}

/** Wrong credentials; "none" is a legitimate way to call a route with optional auth. */
export const wrongCredentialsFor = (operation: Operation): Credential[] =>
  INVALID_CREDENTIALS.filter(
    (credential) => !(operation.auth === "optional" && credential === "none"),
  );

const asString = (gen: Gen) => (typeof gen.value === "string" ? gen.value : String(gen.value));

/** A valid value for a path or query parameter, as the URL text it is sent as. */
const validUrlValueArb = (parameter: Parameter, ctx: Contexts): fc.Arbitrary<UrlPart> =>
  genFor(parameter.schema, ctx.valid, "", parameter.name).map(asString);

/** A path or query value an attacker types: sometimes valid, else a hostile segment sent raw
 * or a nasty string sent percent-encoded. */
const hostileUrlValueArb = (parameter: Parameter, ctx: Contexts): fc.Arbitrary<UrlPart> =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: 2, arbitrary: validUrlValueArb(parameter, ctx) },
    { weight: 2, arbitrary: fc.constantFrom<UrlPart>(...HOSTILE_SEGMENTS) },
    { weight: 1, arbitrary: nastyString },
  );

type UrlValueArb = (parameter: Parameter, ctx: Contexts) => fc.Arbitrary<UrlPart>;

/** Every path parameter of the operation, each from `value`. */
function paramsArb(
  operation: Operation,
  ctx: Contexts,
  value: UrlValueArb,
): fc.Arbitrary<Record<string, UrlPart>> {
  return fc.record(
    Object.fromEntries(
      operation.pathParams.map((parameter) => [parameter.name, value(parameter, ctx)]),
    ),
  );
}

type QueryPairs = (readonly [UrlPart, UrlPart])[];

function validQueryArb(operation: Operation, ctx: Contexts): fc.Arbitrary<QueryPairs> {
  const pairs = operation.queryParams.map((parameter) => {
    const value = validUrlValueArb(parameter, ctx).map((text) => [parameter.name, text] as const);
    return parameter.required ? value : fc.option(value, { nil: undefined });
  });
  return fc.tuple(...pairs).map((list) => list.filter((pair) => pair !== undefined));
}

function hostileQueryArb(operation: Operation, ctx: Contexts): fc.Arbitrary<QueryPairs> {
  const declared = operation.queryParams.map((parameter) =>
    fc.option(fc.tuple(fc.constant(parameter.name), hostileUrlValueArb(parameter, ctx)), {
      nil: undefined,
    }),
  );
  const extras = fc.array(fc.constantFrom(...HOSTILE_QUERY_PAIRS), { maxLength: 2 });
  return fc
    .tuple(fc.tuple(...declared), extras)
    .map(([list, more]) => [...list.filter((pair) => pair !== undefined), ...more]);
}

function validBodyArb(
  operation: Operation,
  ctx: Contexts,
): fc.Arbitrary<{ body: BodyCase; violations: string[] }> {
  const body = bodySchemaOf(operation);
  if (!body || !takesBody(operation))
    return fc.constant({ body: { kind: "none" }, violations: [] });
  return genFor(body.schema, ctx.valid, "body").map((gen) => ({
    body: { kind: "json", value: gen.value, contentType: "application/json" },
    violations: [],
  }));
}

function hostileFieldsArb(
  operation: Operation,
  ctx: Contexts,
): fc.Arbitrary<{ body: BodyCase; violations: string[] }> {
  const body = bodySchemaOf(operation) as { schema: JsonSchema; contract: boolean };
  return genFields(body.schema, ctx.hostile, "body").map((gen) => ({
    body: { kind: "json", value: gen.value, contentType: "application/json" },
    violations: body.contract ? [...gen.violations] : [],
  }));
}

/** A whole body replaced by a hostile document, or a valid one under another content type. */
function hostileWholeBodyArb(
  operation: Operation,
  ctx: Contexts,
): fc.Arbitrary<{ body: BodyCase; violations: string[] }> {
  const body = bodySchemaOf(operation);
  const contract = body?.contract ? body.schema : undefined;
  const replaced = fc.constantFrom(...HOSTILE_BODIES).map((value) => {
    const violations: string[] = [];
    if (contract) {
      const reason = clearViolation(contract, value, "body");
      if (reason) violations.push(reason);
      if (new TextEncoder().encode(value.text).length > REQUEST_BODY_MAX_BYTES) {
        violations.push(`body: over the documented ${REQUEST_BODY_MAX_BYTES}-byte limit (413)`);
      }
    }
    return {
      body: { kind: "json", value, contentType: "application/json" } as BodyCase,
      violations,
    };
  });
  const retyped = fc
    .tuple(
      body ? genFor(body.schema, ctx.valid, "body") : fc.constant({ value: {}, violations: [] }),
      fc.constantFrom(...CONTENT_TYPES),
    )
    .map(([gen, contentType]) => ({
      body: {
        kind: "json",
        value: gen.value as JsonLike,
        contentType: contentType.type,
      } as BodyCase,
      violations:
        contract && contentType.refused ? [`content-type "${contentType.type}" is not JSON`] : [],
    }));
  return fc.oneof({ weight: 3, arbitrary: replaced }, { weight: 1, arbitrary: retyped });
}

/** The case generator of one family of one operation. */
export function caseArb(
  operation: Operation,
  family: Family,
  known: (name: string) => readonly string[],
): fc.Arbitrary<RouteCase> {
  const ctx = contexts(known);
  const hostileUrls = family === "urls";
  const body =
    family === "fields"
      ? hostileFieldsArb(operation, ctx)
      : family === "bodies"
        ? hostileWholeBodyArb(operation, ctx)
        : validBodyArb(operation, ctx);
  return fc
    .record({
      // The credentials family sends each case with every wrong credential in turn.
      credential:
        family === "credentials" ? fc.constant<Credential>("none") : routeCredentialArb(operation),
      params: paramsArb(operation, ctx, hostileUrls ? hostileUrlValueArb : validUrlValueArb),
      suffix: hostileUrls
        ? fc.oneof(
            { withCrossShrink: true },
            { weight: 4, arbitrary: fc.constant<UrlPart>("") },
            { weight: 1, arbitrary: fc.constantFrom<UrlPart>(...HOSTILE_PATH_SUFFIXES) },
          )
        : fc.constant<UrlPart>(""),
      query: hostileUrls ? hostileQueryArb(operation, ctx) : validQueryArb(operation, ctx),
      body,
      stripeSigned: isStripe(operation) ? fc.boolean() : fc.constant(false),
    })
    .map(({ body: generated, ...rest }) => ({
      ...rest,
      body: generated.body,
      violations: generated.violations,
    }));
}
