// Generates the OpenAPI 3.1 document from the route definitions and their valibot schemas.

import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { ERROR_CATALOGUE } from "../shared/errors.ts";
import { ProblemSchema } from "../shared/schemas/meta.ts";
import type { InputSchema } from "./input.ts";
import type { ResponseSpec, RouteDefinition } from "./route.ts";

export const API_VERSION = "0.1.0";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: v.GenericSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
  }) as JsonSchema;
  return rest;
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
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

function successResponse(spec: ResponseSpec) {
  if (!spec.schema) return { description: spec.description };
  return {
    description: spec.description,
    content: { [spec.mediaType ?? "application/json"]: { schema: jsonSchema(spec.schema) } },
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
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(spec.auth === "public"
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

function securityFor(principals: readonly string[]) {
  const schemes: Record<string, string> = {
    user: "userJwt",
    service: "serviceSignature",
    creation: "creationToken",
  };
  return principals.flatMap((type) => (schemes[type] ? [{ [schemes[type]]: [] }] : []));
}

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
      description:
        "The stateful backend of a creation platform. Errors are RFC 9457 problem+json with a stable code.",
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
        serviceSignature: {
          type: "apiKey",
          in: "header",
          name: "troupe-signature",
          description:
            'v1=<hex HMAC-SHA256 of "<troupe-timestamp>\\n<METHOD>\\n<path+query>\\n<body>">, with troupe-timestamp in unix seconds (±300 s).',
        },
      },
    },
    "x-troupe-error-codes": Object.fromEntries(
      Object.entries(ERROR_CATALOGUE).map(([code, { status, title }]) => [code, { status, title }]),
    ),
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
