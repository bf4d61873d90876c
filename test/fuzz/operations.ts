// The operations of the served OpenAPI document, in the shape the route fuzzer needs, and how a
// generated case becomes the request sent through the Worker.

import { ORIGIN } from "../helpers.ts";
import { type CreationTokens, type Credential, credentialHeaders } from "./credentials.ts";
import { RawSegment } from "./hostile.ts";
import { type JsonLike, jsonText } from "./json-text.ts";
import { clearViolation, type JsonSchema } from "./schema.ts";

export type PrincipalKind = "user" | "service" | "creation";

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  operationId: string;
  method: string;
  /** OpenAPI path template: /v1/creations/{id} */
  path: string;
  tag: string;
  auth: "public" | "optional" | PrincipalKind[];
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: JsonSchema;
  /** Media types the operation documents for its success answers besides JSON (an SSE stream). */
  successMediaTypes: string[];
}

interface OpenApiOperation {
  operationId: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  "x-troupe-principals"?: PrincipalKind[];
  parameters?: (Parameter & { in: "path" | "query" })[];
  requestBody?: { content?: { "application/json"?: { schema?: JsonSchema } } };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

/** Every operation of the document, in document order. */
export function operationsOf(document: {
  paths: Record<string, Record<string, OpenApiOperation>>;
}): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const parameters = operation.parameters ?? [];
      const principals = operation["x-troupe-principals"];
      const security = operation.security ?? [];
      return {
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        tag: operation.tags?.[0] ?? "",
        auth: principals ?? (security.length === 0 ? "public" : "optional"),
        pathParams: parameters.filter((parameter) => parameter.in === "path"),
        queryParams: parameters.filter((parameter) => parameter.in === "query"),
        successMediaTypes: Object.entries(operation.responses ?? {})
          .filter(([status]) => status.startsWith("2"))
          .flatMap(([, response]) => Object.keys(response.content ?? {}))
          .filter((type) => type !== "application/json"),
        ...(operation.requestBody?.content?.["application/json"]?.schema
          ? { body: operation.requestBody.content["application/json"].schema }
          : {}),
      } satisfies Operation;
    }),
  );
}

export const takesBody = (operation: Operation) =>
  operation.method !== "GET" && operation.method !== "HEAD";

/** A URL piece: a value (percent-encoded when sent) or raw text sent as it is. */
export type UrlPart = string | RawSegment;

export type BodyCase =
  | { readonly kind: "none" }
  | {
      readonly kind: "json";
      readonly value: JsonLike;
      /** "" sends no content-type header. */
      readonly contentType: string;
    };

export interface RouteCase {
  readonly credential: Credential;
  readonly params: Readonly<Record<string, UrlPart>>;
  readonly suffix: UrlPart;
  readonly query: readonly (readonly [UrlPart, UrlPart])[];
  readonly body: BodyCase;
  /** Clear violations of the documented schema the generator put in (body, content type). */
  readonly violations: readonly string[];
  /** Stripe routes: sign the body with the webhook secret. */
  readonly stripeSigned: boolean;
}

export interface BuiltRequest {
  /** Path and query as passed to api(). */
  target: string;
  init: RequestInit;
  bodyText: string;
  /** Clear contract violations, those of the URL included (judged after URL parsing). */
  violations: string[];
  /** Whether the parsed URL still addresses this operation (`..` segments and extra suffixes
   * send a request elsewhere, where only the generic invariants apply). */
  addressesOperation: boolean;
}

const encodePart = (part: UrlPart) =>
  part instanceof RawSegment ? part.text : encodeLoosely(part);

/** encodeURIComponent, except that a lone surrogate (which it refuses) is sent as the bytes
 * WTF-8 would give it (%ED%A0%80 for \ud800): malformed UTF-8 the server must survive. */
export function encodeLoosely(text: string): string {
  let encoded = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      encoded += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join("");
    } else {
      encoded += encodeURIComponent(char);
    }
  }
  return encoded;
}

export type BodySigner = (bodyText: string) => Promise<Record<string, string>>;

export async function buildRequest(
  operation: Operation,
  routeCase: RouteCase,
  tokens: CreationTokens,
  signBody?: BodySigner,
): Promise<BuiltRequest> {
  const path =
    operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodePart(routeCase.params[name] ?? ""),
    ) + encodePart(routeCase.suffix);
  const query = routeCase.query
    .map(([name, value]) => `${encodePart(name)}=${encodePart(value)}`)
    .join("&");
  const target = query ? `${path}?${query}` : path;
  const url = new URL(`${ORIGIN}${target}`);
  const bodyText = routeCase.body.kind === "json" ? jsonText(routeCase.body.value) : "";
  const headers: Record<string, string> = {
    ...(await credentialHeaders(
      routeCase.credential,
      { method: operation.method, pathAndQuery: url.pathname + url.search, body: bodyText },
      tokens,
    )),
    ...(signBody && routeCase.body.kind === "json" ? await signBody(bodyText) : {}),
  };
  if (routeCase.body.kind === "json" && routeCase.body.contentType) {
    headers["content-type"] = routeCase.body.contentType;
  }
  const urlParams = paramsAsServed(operation, url);
  const violations = [...routeCase.violations];
  if (urlParams) violations.push(...urlViolations(operation, urlParams, url));
  return {
    target,
    init: {
      method: operation.method,
      headers,
      ...(routeCase.body.kind === "json" ? { body: bodyText } : {}),
    },
    bodyText,
    violations,
    addressesOperation: urlParams !== undefined,
  };
}

/** The raw path parameters as the router will see them, or undefined when the parsed URL no
 * longer fits the operation's template. */
function paramsAsServed(operation: Operation, url: URL): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  const match = new RegExp(`^${pattern}$`).exec(url.pathname);
  if (!match) return undefined;
  return Object.fromEntries(names.map((name, index) => [name, match[index + 1] as string]));
}

/**
 * Hono's tolerant decoding: the whole text if it decodes, else each run of %XX that decodes on
 * its own (hono/utils/url tryDecode), so the oracle judges the value the route receives.
 */
export function honoDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function urlViolations(operation: Operation, params: Record<string, string>, url: URL): string[] {
  const violations: string[] = [];
  for (const parameter of operation.pathParams) {
    const raw = params[parameter.name] as string;
    const reason = clearViolation(parameter.schema, honoDecode(raw), `path ${parameter.name}`);
    if (reason) violations.push(reason);
  }
  for (const parameter of operation.queryParams) {
    const values = rawQueryValues(url, parameter.name);
    if (values.length === 0 && parameter.required) {
      violations.push(`query ${parameter.name}: required parameter is missing`);
    }
    // Judge only a parameter given once in plain form: repeated or `+`-encoded ones are up to
    // the query parser.
    if (values.length !== 1 || /[+]/.test(values[0] as string)) continue;
    const reason = clearViolation(
      parameter.schema,
      honoDecode(values[0] as string),
      `query ${parameter.name}`,
    );
    if (reason) violations.push(reason);
  }
  return violations;
}

function rawQueryValues(url: URL, name: string): string[] {
  return url.search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const cut = pair.indexOf("=");
      return cut < 0 ? [pair, ""] : [pair.slice(0, cut), pair.slice(cut + 1)];
    })
    .filter(([key]) => honoDecode(key as string) === name)
    .map(([, value]) => value as string);
}
