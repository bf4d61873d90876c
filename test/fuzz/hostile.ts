// Hostile values: what an attacker or a broken client sends. Kept as named lists so a failure
// report names the value (`raw(10000-deep array)`) and a reader can see what is covered.

import * as fc from "fast-check";
import { REQUEST_BODY_MAX_BYTES } from "../../src/shared/limits.ts";
import { Entries, type JsonLike, LongString, RawJson } from "./json-text.ts";
import { allowedTypes, type JsonSchema } from "./schema.ts";

/** The property a prototype-pollution attempt tries to plant; checked on `{}` after each case. */
export const POLLUTION_CANARY = "polluted";

/** 100 KB: a huge string that still fits the router's 128 KiB body limit. */
export const HUGE_STRING_LENGTH = 100_000;

/** Nesting depth of the deep documents (10,000 levels: 20 KB of brackets). */
export const DEEP_NESTING = 10_000;

export const deepArray = (depth: number) =>
  new RawJson(`${"[".repeat(depth)}${"]".repeat(depth)}`, `${depth}-deep array`, "array");

export const deepObject = (depth: number) =>
  new RawJson(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`, `${depth}-deep object`, "object", [
    "a",
  ]);

/** Strings a JavaScript string can hold but JSON.stringify of a whole request would mangle or
 * that only exist as escapes: lone surrogates, sent as raw `\ud800` escapes. */
export const LONE_SURROGATES: readonly RawJson[] = [
  new RawJson('"\\ud800"', '"\\ud800"', "string"),
  new RawJson('"\\udfff"', '"\\udfff"', "string"),
  new RawJson('"a\\ud800b"', '"a\\ud800b"', "string"),
  new RawJson('"\\udc00\\ud800"', '"\\udc00\\ud800"', "string"),
];

export const CONTROL_STRINGS = ["\u0000", "a\u0000b", "\u0007", "\t", "\n", "\r\n", "\u001b[31m"];

export const ODD_STRINGS = [
  "",
  " ",
  "%",
  "%E0%A4%A",
  "%zz",
  "__proto__",
  "constructor",
  "prototype",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "\uFEFFbom",
  "\u202Eevil",
  "👍🏽",
  "NaN",
  "null",
];

/** An object whose keys aim at Object.prototype, at the depth it is placed. */
export const PROTOTYPE_PAYLOADS: readonly Entries[] = [
  new Entries([["__proto__", new Entries([[POLLUTION_CANARY, "yes"]])]]),
  new Entries([
    ["constructor", new Entries([["prototype", new Entries([[POLLUTION_CANARY, "yes"]])]])],
  ]),
  new Entries([["prototype", new Entries([[POLLUTION_CANARY, "yes"]])]]),
  new Entries([
    [
      "__proto__",
      new Entries([
        ["isAdmin", true],
        ["role", "admin"],
      ]),
    ],
  ]),
];

/** Values of the wrong JSON type for most fields. */
export const WRONG_TYPE_VALUES: readonly JsonLike[] = [
  null,
  true,
  0,
  -1,
  "str",
  "1",
  [],
  [1, 2],
  new Entries([]),
];

/** Numbers at and just past a schema's bounds, plus the classic troublemakers. */
export function boundaryNumbers(schema: JsonSchema): JsonLike[] {
  const numbers: JsonLike[] = [0, -0, 0.5, -1, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 1e-7];
  numbers.push(new RawJson("1e309", "1e309", "number"), new RawJson("-1e309", "-1e309", "number"));
  for (const bound of [schema.minimum, schema.exclusiveMinimum]) {
    if (bound !== undefined) numbers.push(bound - 1, bound, bound + 0.5, bound - 0.5);
  }
  for (const bound of [schema.maximum, schema.exclusiveMaximum]) {
    if (bound !== undefined) numbers.push(bound + 1, bound, bound - 0.5, bound + 0.5);
  }
  return numbers;
}

/** Strings at and just past a schema's lengths, plus huge, empty, control and odd ones. */
export function boundaryStrings(schema: JsonSchema): JsonLike[] {
  const strings: JsonLike[] = [...ODD_STRINGS, ...CONTROL_STRINGS, ...LONE_SURROGATES];
  strings.push(new LongString("a", HUGE_STRING_LENGTH));
  if (schema.maxLength !== undefined) {
    strings.push(new LongString("a", schema.maxLength), new LongString("a", schema.maxLength + 1));
  }
  if (schema.minLength !== undefined && schema.minLength > 0) {
    strings.push(new LongString("a", schema.minLength - 1));
  }
  if (schema.enum) strings.push("not-in-the-enum");
  return strings;
}

/** Every hostile candidate for a field of this schema (the oracle later says which are
 * clearly invalid). */
export function hostileCandidates(schema: JsonSchema): JsonLike[] {
  const allowed = allowedTypes(schema);
  const admits = (type: string) => allowed === "any" || allowed.has(type as never);
  const candidates: JsonLike[] = [...WRONG_TYPE_VALUES, ...PROTOTYPE_PAYLOADS];
  candidates.push(deepArray(DEEP_NESTING), deepObject(DEEP_NESTING));
  if (admits("integer") || admits("number")) candidates.push(...boundaryNumbers(schema));
  if (admits("string")) candidates.push(...boundaryStrings(schema));
  else
    candidates.push("str", new LongString("a", HUGE_STRING_LENGTH), LONE_SURROGATES[0] as RawJson);
  return candidates;
}

/** A random string mixing ASCII with control characters, lone surrogates and odd code points
 * (JSON.stringify sends lone surrogates as `\ud800` escapes). */
export const nastyString = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("a", "b", "z", "0", "/", "%", "_", ".") },
    { weight: 1, arbitrary: fc.constantFrom("\u0000", "\u0007", "\t", "\n", "\u2028", "\uFFFF") },
    { weight: 1, arbitrary: fc.constantFrom("\ud800", "\udfff", "é", "👍", "\u202E") },
  ),
  maxLength: 24,
});

// ── room state paths ───────────────────────────────────────────────────────────────────────

/** Patch paths that walk into the prototype, plainly or percent-encoded. */
export const PROTOTYPE_ROOM_PATHS = [
  `/shared/__proto__/${POLLUTION_CANARY}`,
  `/users/__proto__/${POLLUTION_CANARY}`,
  `/shared/constructor/prototype/${POLLUTION_CANARY}`,
  `/__proto__/${POLLUTION_CANARY}`,
  `/constructor/prototype/${POLLUTION_CANARY}`,
  `/shared/x/__proto__/${POLLUTION_CANARY}`,
  `/shared/%5F%5Fproto%5F%5F/${POLLUTION_CANARY}`,
  `/users/%5F%5Fproto%5F%5F/${POLLUTION_CANARY}`,
  `/shared/__proto__/__proto__/${POLLUTION_CANARY}`,
  "/shared/__proto__",
  "/shared/constructor",
  "/shared/prototype/x",
  "/shared/toString/x",
  "/shared/hasOwnProperty",
];

/** Patch paths the percent-decoder and the path syntax must refuse or survive. */
export const MALFORMED_ROOM_PATHS = [
  "/shared/%",
  "/%zz/shared",
  "/shared/%E0%A4%A",
  "/shared/%zz",
  "/shared/%ED%A0%80",
  "/shared/%F0%9F%98",
  "/shared/%2F",
  "/shared/x%2F..%2F..%2Fconfig",
  "/shared/%00",
  "/shared/\u0000",
  "/shared/\ud800",
  "/shared//x",
  "/shared/",
  "/shared",
  "/",
  "",
  "shared/x",
  `/shared/${"a".repeat(300)}`,
  `/shared/${"a/".repeat(100)}b`,
];

/** Ordinary paths, so patches also land and later ones meet existing values. */
export const PLAIN_ROOM_PATHS = [
  "/shared/x",
  "/shared/count",
  "/shared/list",
  "/shared/x/y",
  "/config/open_timers",
  "/users/someone-else/x",
];

// ── URLs ───────────────────────────────────────────────────────────────────────────────────

/** Text put into a URL verbatim (no encoding), printed as raw(...). */
export class RawSegment {
  constructor(
    readonly text: string,
    readonly label = text,
  ) {}
  [fc.toStringMethod](): string {
    return `raw(${this.label})`;
  }
}

/** Path parameters and query values an attacker types into a URL. */
export const HOSTILE_SEGMENTS: readonly RawSegment[] = [
  ...[
    "__proto__",
    "constructor",
    "prototype",
    "hasOwnProperty",
    "toString",
    "%",
    "%E0%A4%A",
    "%zz",
    "%00",
    "%07",
    "%09",
    "%0A",
    "%0D%0A",
    "%ED%A0%80", // a lone surrogate, UTF-8 encoded: decodeURIComponent throws on it
    "%F0%9F%98", // a truncated four-byte sequence
    "%C0%AF", // an overlong "/"
    "%2F",
    "%2F..%2F",
    "%5F%5Fproto%5F%5F", // __proto__, percent-encoded
    "%25",
    "%25zz",
    "a%00b",
    "%20",
    "+",
    "..",
    ".",
    "%2e%2e",
    "",
    "-1",
    "0",
    "1e308",
    "99999999999999999999",
    "NaN",
  ].map((text) => new RawSegment(text)),
  new RawSegment("a".repeat(HUGE_STRING_LENGTH), `"a".repeat(${HUGE_STRING_LENGTH})`),
  new RawSegment("%".repeat(1000), '"%".repeat(1000)'),
];

/** Extra path text after the route's own path. */
export const HOSTILE_PATH_SUFFIXES: readonly RawSegment[] = [
  "/__proto__",
  "/constructor/prototype",
  "/%",
  "/%E0%A4%A",
  "//",
  "/..",
  "/.",
  "/%2e%2e/%2e%2e",
  "/x",
].map((text) => new RawSegment(text));

/** Query parameters nobody documented, some aimed at query-string parsers. */
export const HOSTILE_QUERY_PAIRS: readonly (readonly [RawSegment, RawSegment])[] = [
  ["__proto__", "x"],
  ["__proto__[polluted]", "1"],
  ["constructor[prototype][polluted]", "1"],
  ["constructor", "x"],
  ["%", "%"],
  ["%E0%A4%A", "%zz"],
  ["", ""],
  ["a", "%ED%A0%80"],
].map(
  ([name, value]) => [new RawSegment(name as string), new RawSegment(value as string)] as const,
);

// ── whole bodies ───────────────────────────────────────────────────────────────────────────

/** Bodies that replace a route's whole JSON body: wrong root types, broken JSON, deep and
 * huge documents, lone surrogates, duplicate and prototype keys. */
export const HOSTILE_BODIES: readonly RawJson[] = [
  new RawJson("[]", "[]", "array"),
  new RawJson("[1,2]", "[1,2]", "array"),
  new RawJson('[{"amount":1}]', '[{"amount":1}]', "array"),
  new RawJson("null", "null", "null"),
  new RawJson('"str"', '"str"', "string"),
  new RawJson("0", "0", "integer"),
  new RawJson("true", "true", "boolean"),
  new RawJson("{}", "{}", "object"),
  new RawJson("{", "{", "invalid"),
  new RawJson('{"a":', '{"a":', "invalid"),
  new RawJson("not json", "not json", "invalid"),
  new RawJson("{'a':1}", "{'a':1}", "invalid"),
  new RawJson("NaN", "NaN", "invalid"),
  // RFC 8259 lets a parser ignore a byte order mark, so this one is "{}" either way.
  new RawJson("\uFEFF{}", "BOM + {}", "object"),
  new RawJson("{}garbage", "{}garbage", "invalid"),
  new RawJson("\u0000", "NUL", "invalid"),
  deepArray(DEEP_NESTING),
  deepObject(DEEP_NESTING),
  new RawJson('"\\ud800"', '"\\ud800"', "string"),
  new RawJson('{"\\ud800":"\\udfff"}', '{"\\ud800":"\\udfff"}', "object", ["\ud800"]),
  new RawJson('{"__proto__":{"polluted":"yes"}}', '{"__proto__":{"polluted":"yes"}}', "object", [
    "__proto__",
  ]),
  new RawJson(
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    "object",
    ["constructor"],
  ),
  new RawJson(
    `{"x":"${"a".repeat(HUGE_STRING_LENGTH)}"}`,
    `{"x": "a".repeat(${HUGE_STRING_LENGTH})}`,
    "object",
    ["x"],
  ),
  new RawJson(
    `{"x":"${"a".repeat(REQUEST_BODY_MAX_BYTES)}"}`,
    `{"x": "a".repeat(${REQUEST_BODY_MAX_BYTES})} (over the body limit)`,
    "object",
    ["x"],
  ),
];

/** Content types sent with a body, and whether the API must refuse a JSON body under it
 * ("Send the body with content-type application/json"); undefined where it may go either way. */
export const CONTENT_TYPES: readonly { readonly type: string; readonly refused?: boolean }[] = [
  { type: "application/json", refused: false },
  { type: "application/json; charset=utf-8", refused: false },
  // Media types are case-insensitive (RFC 9110).
  { type: "APPLICATION/JSON", refused: false },
  { type: 'application/json; charset="utf-8"; x=__proto__' },
  { type: "application/json-patch+json" },
  { type: "application/jsonx" },
  { type: "application/x-json" },
  { type: "text/json", refused: true },
  { type: "json", refused: true },
  { type: "application/vnd.api+json" },
  { type: "application/json; charset=utf-16" },
  { type: "text/plain", refused: true },
  { type: "application/x-www-form-urlencoded", refused: true },
  { type: "multipart/form-data; boundary=x", refused: true },
  // No header: the Request constructor labels a string body text/plain.
  { type: "", refused: true },
];

// ── headers ────────────────────────────────────────────────────────────────────────────────

/** Header values an attacker or a broken client sends. A header cannot carry NUL, CR or LF
 * (the Headers constructor refuses them before a request exists), and workerd sends a non-ASCII
 * value as its UTF-8 bytes, so malformed UTF-8 reaches a header only percent-encoded. */
export const HOSTILE_HEADER_VALUES: readonly (string | LongString)[] = [
  "",
  " ",
  "\t",
  "0",
  "-1",
  "null",
  "undefined",
  "NaN",
  "[]",
  "{}",
  '{"__proto__":{"polluted":"yes"}}',
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "%",
  "%zz",
  "%E0%A4%A",
  "%ED%A0%80",
  "%00",
  "a,b",
  "a, b",
  "a;b",
  "a b",
  "=",
  "v1=",
  "\u00e9",
  new LongString("a", HUGE_STRING_LENGTH),
];

/** A header value as sent (a LongString prints as its recipe in a counterexample). */
export const headerText = (value: string | LongString) =>
  value instanceof LongString ? value.value : value;

/** A header value as a failure report names it. */
export const headerLabel = (value: string | LongString) =>
  value instanceof LongString ? fc.stringify(value) : JSON.stringify(value);
