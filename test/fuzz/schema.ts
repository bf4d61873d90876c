// The subset of JSON Schema the OpenAPI document uses, and an oracle for clear violations of
// it. The oracle decides only what is certain from the schema alone (types, required fields,
// unknown fields of closed objects, numeric bounds, lengths, patterns, enums, item counts, the
// uuid format); other formats (date-time, email, uri) are left undecided. A request it calls
// invalid is invalid by the published contract, and the server must refuse it with a 4xx.

import { Entries, type JsonLike, type JsonType, LongString, RawJson } from "./json-text.ts";

export interface JsonSchema {
  type?: JsonType | JsonType[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

/** Keys that name JavaScript's prototype machinery. A validator that drops them silently is
 * not wrong by JSON Schema's letter, so the oracle never counts them as unknown fields. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** The types a schema admits, or "any" when it does not restrict them. */
export function allowedTypes(schema: JsonSchema): Set<JsonType> | "any" {
  if (schema.const !== undefined) return new Set([typeOfPlain(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(typeOfPlain));
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const types = new Set<JsonType>();
    for (const branch of union) {
      const allowed = allowedTypes(branch);
      if (allowed === "any") return "any";
      for (const type of allowed) types.add(type);
    }
    return types;
  }
  if (schema.type === undefined) return "any";
  return new Set(Array.isArray(schema.type) ? schema.type : [schema.type]);
}

function typeOfPlain(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  return "object";
}

/** The JSON type of a value as the server will parse it. */
export function typeOfValue(value: JsonLike): JsonType | "invalid" {
  if (value instanceof RawJson) return value.kind;
  if (value instanceof LongString) return "string";
  if (value instanceof Entries) return "object";
  return typeOfPlain(value);
}

function typeAllowed(type: JsonType | "invalid", allowed: Set<JsonType> | "any"): boolean {
  if (type === "invalid") return false;
  if (allowed === "any") return true;
  if (allowed.has(type)) return true;
  return type === "integer" && allowed.has("number");
}

function describeTypes(allowed: Set<JsonType>): string {
  return [...allowed].join(" or ");
}

/** The number a value parses to, when it is a plain finite-or-not number. */
function numberOf(value: JsonLike): number | undefined {
  if (typeof value === "number") return value;
  if (value instanceof RawJson && value.text === "1e309") return Number.POSITIVE_INFINITY;
  if (value instanceof RawJson && value.text === "-1e309") return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** The string a value parses to, when it is a string. */
function stringOf(value: JsonLike): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof LongString) return value.value;
  if (value instanceof RawJson && value.kind === "string") return JSON.parse(value.text);
  return undefined;
}

function entriesOf(value: JsonLike): readonly (readonly [string, JsonLike])[] | undefined {
  if (value instanceof Entries) return value.entries;
  if (value instanceof RawJson) return undefined;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, JsonLike>);
  }
  return undefined;
}

/**
 * A clear violation of `schema` by `value` at `at`, or undefined when the value is valid or
 * its validity depends on something the oracle does not judge (patterns, formats).
 */
export function clearViolation(
  schema: JsonSchema,
  value: JsonLike,
  at: string,
): string | undefined {
  const type = typeOfValue(value);
  if (type === "invalid") return `${at}: not JSON`;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const reasons = union.map((branch) => clearViolation(branch, value, at));
    return reasons.every((reason) => reason !== undefined) ? reasons[0] : undefined;
  }
  const allowed = allowedTypes(schema);
  if (!typeAllowed(type, allowed)) {
    return `${at}: ${type} where the schema says ${describeTypes(allowed as Set<JsonType>)}`;
  }
  const primitive = typeof value !== "object" || value === null;
  if (schema.const !== undefined && primitive && value !== schema.const) {
    return `${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`;
  }
  if (schema.enum && primitive && !schema.enum.includes(value)) {
    return `${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`;
  }
  return (
    numberViolation(schema, value, at) ??
    stringViolation(schema, value, at) ??
    arrayViolation(schema, value, at) ??
    objectViolation(schema, value, at)
  );
}

function numberViolation(schema: JsonSchema, value: JsonLike, at: string): string | undefined {
  const n = numberOf(value);
  if (n === undefined) return undefined;
  const types = allowedTypes(schema);
  const integerOnly = types !== "any" && types.has("integer") && !types.has("number");
  if (integerOnly && !Number.isInteger(n)) return `${at}: ${n} is not an integer`;
  if (schema.minimum !== undefined && n < schema.minimum) {
    return `${at}: ${n} is below the minimum ${schema.minimum}`;
  }
  if (schema.maximum !== undefined && n > schema.maximum) {
    return `${at}: ${n} is above the maximum ${schema.maximum}`;
  }
  if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) {
    return `${at}: ${n} is not above ${schema.exclusiveMinimum}`;
  }
  if (schema.exclusiveMaximum !== undefined && n >= schema.exclusiveMaximum) {
    return `${at}: ${n} is not below ${schema.exclusiveMaximum}`;
  }
  return undefined;
}

/** RFC 9562's layout, which every uuid validator agrees on. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function stringViolation(schema: JsonSchema, value: JsonLike, at: string): string | undefined {
  const text = stringOf(value);
  if (text === undefined) return undefined;
  const { length } = text;
  if (schema.minLength !== undefined && length < schema.minLength) {
    return `${at}: ${length} characters, fewer than minLength ${schema.minLength}`;
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    return `${at}: ${length} characters, more than maxLength ${schema.maxLength}`;
  }
  // Patterns are the server's own regular expressions (valibot's source, no flags), so a
  // JavaScript RegExp judges them exactly as the server does.
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(text)) {
    return `${at}: ${preview(text)} does not match ${schema.pattern}`;
  }
  if (schema.format === "uuid" && !UUID.test(text)) return `${at}: ${preview(text)} is not a uuid`;
  return undefined;
}

function preview(text: string): string {
  return text.length > 40
    ? `${JSON.stringify(text.slice(0, 40))}… (${text.length} chars)`
    : JSON.stringify(text);
}

function arrayViolation(schema: JsonSchema, value: JsonLike, at: string): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value as readonly JsonLike[];
  if (schema.minItems !== undefined && items.length < schema.minItems) {
    return `${at}: ${items.length} items, fewer than minItems ${schema.minItems}`;
  }
  if (schema.maxItems !== undefined && items.length > schema.maxItems) {
    return `${at}: ${items.length} items, more than maxItems ${schema.maxItems}`;
  }
  if (!schema.items) return undefined;
  for (const [index, item] of items.entries()) {
    const reason = clearViolation(schema.items, item, `${at}[${index}]`);
    if (reason) return reason;
  }
  return undefined;
}

function objectViolation(schema: JsonSchema, value: JsonLike, at: string): string | undefined {
  const entries = entriesOf(value);
  const rawKeys = value instanceof RawJson && value.kind === "object" ? value.keys : undefined;
  const keys = entries?.map(([key]) => key) ?? rawKeys;
  if (!keys) return undefined;
  for (const key of schema.required ?? []) {
    if (!keys.includes(key)) return `${at}: required field "${key}" is missing`;
  }
  if (schema.additionalProperties === false) {
    const known = new Set(Object.keys(schema.properties ?? {}));
    const unknown = keys.find(
      (key) => !known.has(key) && !(PROTOTYPE_KEYS as readonly string[]).includes(key),
    );
    if (unknown !== undefined) return `${at}: unknown field "${unknown}" in a closed object`;
  }
  // JSON.parse keeps the last of duplicate keys, so judge that one.
  for (const [key, item] of new Map(entries ?? [])) {
    const property = schema.properties?.[key];
    if (!property) continue;
    const reason = clearViolation(property, item, `${at}.${key}`);
    if (reason) return reason;
  }
  return undefined;
}
