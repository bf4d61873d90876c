// The /docs page: Scalar's API reference renders /openapi.json in the browser, and the error
// catalogue is plain HTML below it, so every problem `type` (/docs#error-<CODE>) has an anchor
// even before (or without) the script. Every file the page loads comes from this origin:
// Scalar's browser bundle and stylesheet are copied from npm into public/vendor/scalar/ by
// scripts/build-client.mjs, and public/docs.js mounts it. Works offline and under the site's
// Content-Security-Policy (script-src 'self', style-src 'self'): no inline script or style.

import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { errorAnchor, isErrorCode } from "../shared/errors.ts";
import type { OpenApiDocument } from "./openapi.ts";

/** Where the page loads the renderer from (public/vendor/scalar/, built, not committed). */
export const DOCS_ASSETS = {
  script: "/vendor/scalar/standalone.js",
  stylesheet: "/vendor/scalar/style.css",
  mount: "/docs.js",
  pageStylesheet: "/docs.css",
} as const;

export function renderDocsPage(
  document: OpenApiDocument,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const errorCodes = Object.entries(document["x-troupe-error-codes"]).flatMap(([code, entry]) =>
    isErrorCode(code) ? [[code, entry] as const] : [],
  );
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>troupe API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${DOCS_ASSETS.stylesheet}">
  <link rel="stylesheet" href="${DOCS_ASSETS.pageStylesheet}">
</head>
<body>
  <div id="reference" data-openapi-url="/openapi.json"></div>
  <noscript><p class="docs-noscript">The interactive reference needs JavaScript; the OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
  <section id="errors" class="docs-errors" aria-labelledby="errors-heading">
    <h2 id="errors-heading">Error codes</h2>
    <p>Every error is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, <code>code</code> and <code>request_id</code>, plus the extension members an entry names. A problem's <code>type</code> links to its code's entry here.</p>
    <table>
      <thead><tr><th scope="col">code</th><th scope="col">status</th><th scope="col">meaning</th></tr></thead>
      <tbody>
      ${errorCodes.map(
        ([code, { status, title }]) =>
          html`<tr id="${errorAnchor(code)}"><td><a href="#${errorAnchor(code)}"><code>${code}</code></a></td><td>${status}</td><td>${title}</td></tr>
      `,
      )}</tbody>
    </table>
  </section>
  <script src="${DOCS_ASSETS.script}"></script>
  <script src="${DOCS_ASSETS.mount}"></script>
</body>
</html>`;
}
