// A readable API reference rendered on the server from the OpenAPI document: no scripts,
// no CDN, so it works offline and under a strict Content-Security-Policy.

import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { OpenApiDocument } from "./openapi.ts";

type Operation = {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const AUTH_LABELS: Record<string, string> = {
  userJwt: "user JWT",
  serviceSignature: "service signature",
  creationToken: "creation token (rct_)",
};

function schemaBlock(schema: unknown) {
  return html`<pre class="schema">${JSON.stringify(schema, null, 2)}</pre>`;
}

function operationSection(method: string, path: string, op: Operation) {
  const auth =
    op.security.length === 0
      ? "public"
      : op.security.map((entry) => Object.keys(entry).map((k) => AUTH_LABELS[k] ?? k)).join(", ");
  return html`<section class="operation" id="${op.operationId}">
    <h3><span class="method method-${method}">${method.toUpperCase()}</span> <code>${path}</code></h3>
    <p>${op.summary}</p>
    ${op.description ? html`<p class="description">${op.description}</p>` : ""}
    <p class="auth">Auth: ${auth}</p>
    ${
      op.parameters.length > 0
        ? html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>
          ${op.parameters.map(
            (p) =>
              html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? "yes" : "no"}</td><td><code>${JSON.stringify(p.schema)}</code></td></tr>`,
          )}</table>`
        : ""
    }
    ${op.requestBody ? html`<h4>Request body</h4>${schemaBlock(op.requestBody.content["application/json"]?.schema)}` : ""}
    <h4>Responses</h4>
    <dl>${Object.entries(op.responses).map(
      ([status, response]) =>
        html`<dt>${status}</dt><dd>${response.description}${
          response.content && !status.startsWith("4") && !status.startsWith("5")
            ? schemaBlock(Object.values(response.content)[0]?.schema)
            : ""
        }</dd>`,
    )}</dl>
  </section>`;
}

export function renderDocsPage(
  document: OpenApiDocument,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Operation })),
  );
  const tags = [...new Set(operations.map(({ op }) => op.tags[0] ?? "other"))];
  const errorCodes = Object.entries(document["x-troupe-error-codes"]);
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>troupe API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/style.css">
</head>
<body class="docs">
  <header><a href="/">troupe</a> · API reference ${document.info.version} · <a href="/openapi.json">openapi.json</a></header>
  <main>
    <h1>API reference</h1>
    <p>${document.info.description}</p>
    <nav><ul>${tags.map((tag) => html`<li><a href="#tag-${tag}">${tag}</a></li>`)}<li><a href="#errors">error codes</a></li></ul></nav>
    ${tags.map(
      (tag) => html`<h2 id="tag-${tag}">${tag}</h2>
      ${operations.filter(({ op }) => (op.tags[0] ?? "other") === tag).map(({ path, method, op }) => operationSection(method, path, op))}`,
    )}
    <h2 id="errors">Error codes</h2>
    <p>Every error is <code>application/problem+json</code> with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, <code>code</code> and <code>request_id</code>.</p>
    <table><tr><th>code</th><th>status</th><th>meaning</th></tr>
    ${errorCodes.map(([code, { status, title }]) => html`<tr id="error-${code}"><td><code>${code}</code></td><td>${status}</td><td>${title}</td></tr>`)}
    </table>
  </main>
</body>
</html>`;
}
