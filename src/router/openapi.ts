// Generates the OpenAPI 3.1 document from the route definitions and their valibot schemas.

import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { ERROR_CATALOGUE, isErrorCode, problemType } from "../shared/errors.ts";
import { ProblemSchema } from "../shared/schemas/meta.ts";
import type { InputSchema } from "./input.ts";
import { edgeLimitClass } from "./middleware/edge-limit.ts";
import type { ResponseSpec, RouteDefinition } from "./route.ts";

export const API_VERSION = "0.1.0";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: v.GenericSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
  }) as JsonSchema;
  return rest;
}

/**
 * Descriptions in an OpenAPI document are CommonMark (the /docs renderer renders them so).
 * Route texts are written as plain prose with `code spans`; outside code spans this escapes
 * `<`, so a placeholder such as "<timestamp>" shows as written instead of being dropped as an
 * HTML tag, and links every error code to its entry in the catalogue on /docs.
 */
function markdown(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, index) => {
      if (index % 2 === 1) return part;
      return part
        .replace(/</g, "\\<")
        .replace(/\b[A-Z][A-Z0-9_]*[A-Z0-9]\b/g, (word) =>
          isErrorCode(word) ? `[\`${word}\`](${problemType(word)})` : word,
        );
    })
    .join("");
}

/** `/v1/creations/:id` → `/v1/creations/{id}` */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

function parameters(location: "path" | "query", schema: InputSchema | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

const problemResponse = (description: string) => ({
  description: markdown(description),
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

function successResponse(spec: ResponseSpec) {
  if (!spec.schema) {
    // A stream (text/event-stream) has no JSON schema, but its media type is documented.
    return spec.mediaType
      ? {
          description: markdown(spec.description),
          content: { [spec.mediaType]: { schema: { type: "string" } } },
        }
      : { description: markdown(spec.description) };
  }
  return {
    description: markdown(spec.description),
    content: {
      [spec.mediaType ?? "application/json"]: { schema: jsonSchema(spec.schema) },
      ...(spec.streamMediaType ? { [spec.streamMediaType]: { schema: { type: "string" } } } : {}),
    },
  };
}

function operation({ spec }: RouteDefinition) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = successResponse(response);
  }
  if (spec.params || spec.query || spec.body) {
    responses["400"] = problemResponse("INVALID_REQUEST or INVALID_JSON");
  }
  if (spec.auth !== "public") {
    responses["401"] = problemResponse(
      "UNAUTHENTICATED, INVALID_TOKEN, TOKEN_EXPIRED or INVALID_SIGNATURE",
    );
    responses["403"] = problemResponse("The principal may not call this route");
  }
  if (spec.body) responses["413"] = problemResponse("PAYLOAD_TOO_LARGE");
  if (edgeLimitClass(spec) && !responses["429"]) {
    responses["429"] = problemResponse(
      "RATE_LIMIT_EXCEEDED: too many from this address (Retry-After)",
    );
  }
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: [
      spec.description ? markdown(spec.description) : "",
      callers(spec.auth),
      keyNotes(spec),
    ]
      .filter(Boolean)
      .join("\n\n"),
    tags: [spec.tag],
    ...(spec.publishableKey
      ? {
          security:
            spec.publishableKey === "required"
              ? [{ publishableKey: [] }]
              : [{}, { publishableKey: [] }],
        }
      : spec.auth === "public"
        ? { security: [] }
        : spec.auth === "optional"
          ? { security: [{}, ...securityFor(["user", "service", "creation"])] }
          : { security: securityFor(spec.auth), "x-troupe-principals": spec.auth }),
    parameters: [...parameters("path", spec.params), ...parameters("query", spec.query)],
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(spec.body) } },
          },
        }
      : {}),
    responses,
  };
}

const PRINCIPAL_LABELS: Record<string, string> = {
  user: "a user (JWT)",
  service: "the platform (service signature)",
  creation: "a creation (its `rct_` token or a secret key)",
};

/** What a secret key needs here: its scope, and a live key where credits move. */
function keyNotes(spec: RouteDefinition["spec"]): string {
  const notes: string[] = [];
  if (spec.scope) notes.push(`a secret key with scopes needs \`${spec.scope}\``);
  if (spec.liveKeysOnly) notes.push("test keys (`sk_test_…`) are refused: credits move");
  return notes.length > 0 ? `**Keys:** ${notes.join("; ")}.` : "";
}

/** Who may call an operation, for readers: `security` says it to machines. */
function callers(auth: RouteDefinition["spec"]["auth"]): string {
  if (auth === "public") return "**Callers:** anyone; no credentials.";
  if (auth === "optional") {
    return "**Callers:** anyone; credentials, when sent, must be valid (a user, the platform or a creation).";
  }
  const labels = auth.map((type) => PRINCIPAL_LABELS[type] ?? type);
  const list =
    labels.length > 1 ? `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}` : labels[0];
  return `**Callers:** ${list}.`;
}

function securityFor(principals: readonly string[]) {
  const schemes: Record<string, readonly string[]> = {
    user: ["userJwt"],
    service: ["serviceSignature"],
    creation: ["creationToken", "creationApiKey", "secretKey"],
  };
  return principals.flatMap((type) => (schemes[type] ?? []).map((scheme) => ({ [scheme]: [] })));
}

/** The reference's introduction (CommonMark): how to call the API and what errors look like. */
const INTRODUCTION = `The stateful backend of a creation platform: one actor per wallet, subdomain, user, room and AI session, behind a thin router.

## Authentication

- **User:** \`Authorization: Bearer <JWT>\` with \`sub\` and \`exp\` (at most 24 hours ahead), optionally \`email\` and \`role: "admin"\`.
- **Platform:** \`troupe-timestamp: <unix seconds>\` and \`troupe-signature: v1=<hex HMAC-SHA256 of "<timestamp>\\n<METHOD>\\n<path+query>\\n<body>">\`, within ±300 s.
- **Creation:** \`Authorization: Bearer rct_…\` or \`x-api-key: rct_…\`, the creation's own token, on the routes that admit it; or one of its secret keys (\`sk_live_…\`, \`sk_test_…\`) the same way, limited to the key's scopes.
- **Page:** \`X-Publishable-Key: pk_live_…\` names a creation to the browser-safe routes that say so; it is never a credential.

Each operation names its callers.

## Errors

Every error is RFC 9457 \`application/problem+json\` with \`type\`, \`title\`, \`status\`, \`detail\`, a stable \`code\` and \`request_id\`. The \`type\` links to the code's entry in the [error codes](/docs#errors) at the end of this page.`;

export function buildOpenApiDocument(routes: readonly RouteDefinition[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.spec.path);
    paths[path] ??= {};
    paths[path][route.spec.method] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "troupe",
      version: API_VERSION,
      description: INTRODUCTION,
    },
    paths,
    components: {
      schemas: { Problem: jsonSchema(ProblemSchema) },
      securitySchemes: {
        userJwt: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        creationToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "rct_<creation id>.<version>.<hmac>",
          description: "A creation's own token; only on routes that list the creation principal.",
        },
        creationApiKey: {
          type: "apiKey",
          in: "header",
          name: "x-api-key",
          description:
            "The creation's `rct_` token in `x-api-key` instead of Authorization (seed 000); both at once must be the same token.",
        },
        secretKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "sk_live_… or sk_test_…",
          description:
            "One of the creation's secret keys (also accepted in `x-api-key`); limited to its scopes, and a test key never moves credits.",
        },
        publishableKey: {
          type: "apiKey",
          in: "header",
          name: "x-publishable-key",
          description:
            "One of the creation's publishable keys (`pk_live_…`, `pk_test_…`): names the creation to browser-safe routes only, from its allowed origins.",
        },
        serviceSignature: {
          type: "apiKey",
          in: "header",
          name: "troupe-signature",
          description:
            '`troupe-signature: v1=<hex HMAC-SHA256 of "<troupe-timestamp>\\n<METHOD>\\n<path+query>\\n<body>">` with `troupe-timestamp: <unix seconds>` (±300 s).',
        },
      },
    },
    "x-troupe-error-codes": Object.fromEntries(
      Object.entries(ERROR_CATALOGUE).map(([code, { status, title }]) => [code, { status, title }]),
    ),
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
