import { describe, expect, it } from "vitest";
import { DOCS_ASSETS } from "../src/router/docs-page.ts";
import { ERROR_CATALOGUE, type ErrorCode, errorAnchor, problemType } from "../src/shared/errors.ts";
import { api } from "./helpers.ts";

type OpenApi = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { operationId: string; responses: Record<string, unknown>; security: unknown[] }>
  >;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

describe("/openapi.json", () => {
  it("lists every route of the Worker, generated from the route definitions", async () => {
    const response = await api("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenApi;
    expect(document.openapi).toBe("3.1.0");
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`,
      ),
    );
    expect(operations).toEqual([
      "GET /health getHealth",
      "GET /v1/me getMe",
      "GET /v1/auth/me authMe",
      "POST /v1/creations/{id}/content-credentials issueContentCredential",
      "POST /v1/auth/validate validateContentCredential",
      "GET /v1/creations listCreations",
      "POST /v1/creations createCreation",
      "GET /v1/creations/{id} getCreation",
      "PATCH /v1/creations/{id} updateCreation",
      "POST /v1/creations/{id}/rotate-token rotateCreationToken",
      "POST /v1/creations/{id}/wallet/rotate-token rotateCreationTokenLegacy",
      "POST /v1/creations/{id}/rotate-webhook-secret rotateWebhookSecret",
      "GET /v1/creations/{id}/schedules listSchedules",
      "GET /v1/creations/{id}/schedules/failures listScheduleFailures",
      "PUT /v1/creations/{id}/schedules/{name} putSchedule",
      "DELETE /v1/creations/{id}/schedules/{name} deleteSchedule",
      "POST /v1/creations/{id}/keys createApiKey",
      "GET /v1/creations/{id}/keys listApiKeys",
      "DELETE /v1/creations/{id}/keys/{key_id} revokeApiKey",
      "POST /v1/creations/{id}/keys/{key_id}/roll rollApiKey",
      "GET /v1/publishable-key describePublishableKey",
      "PUT /v1/creations/{id}/tiers putTiers",
      "GET /v1/creations/{id}/tiers listTiers",
      "PUT /v1/creations/{id}/users/{user_id}/plan setUserPlan",
      "POST /v1/creations/{id}/usage/track trackUsage",
      "GET /v1/creations/{id}/usage/{user_id} getUserUsage",
      "GET /v1/creations/{id}/usage getUsageSummary",
      "POST /v1/developer/register registerDeveloper",
      "POST /v1/developer/regenerate-key regenerateDeveloperKey",
      "GET /v1/developer/usage getDeveloperUsage",
      "PUT /v1/creations/{id}/products putProducts",
      "GET /v1/creations/{id}/products listProducts",
      "POST /v1/me/entitlements/purchase purchaseProduct",
      "GET /v1/me/entitlements listMyEntitlements",
      "GET /v1/me/entitlements/check checkMyEntitlement",
      "GET /v1/me/entitlements/access-token refreshEntitlementToken",
      "POST /v1/me/entitlements/{entitlement_id}/cancel cancelMySubscription",
      "POST /v1/me/entitlements/use useMyEntitlement",
      "POST /v1/me/entitlements/consume/{token} consumeEntitlement",
      "GET /v1/entitlements/verify verifyEntitlementToken",
      "POST /v1/entitlements/verify verifyEntitlementTokenPost",
      "GET /.well-known/jwks.json receiptKeys",
      "GET /v1/purchase-receipts/verify verifyReceipt",
      "POST /v1/purchase-receipts/verify verifyReceiptPost",
      "GET /v1/creations/{id}/sales/summary salesSummary",
      "POST /v1/me/deposits openDeposit",
      "POST /v1/creations/{id}/deposits/{deposit_id}/capture captureDeposit",
      "POST /v1/creations/{id}/deposits/{deposit_id}/release releaseDeposit",
      "POST /v1/me/payments payCreation",
      "POST /v1/purchases/{transaction_id}/refund refundPurchase",
      "GET /v1/creations/{id}/secrets listCreationSecrets",
      "PUT /v1/creations/{id}/secrets/{name} putCreationSecret",
      "DELETE /v1/creations/{id}/secrets/{name} deleteCreationSecret",
      "GET /v1/me/secrets listMySecrets",
      "PUT /v1/me/secrets/{name} putMySecret",
      "DELETE /v1/me/secrets/{name} deleteMySecret",
      "GET /v1/creations/{id}/wallet getCreationWallet",
      "POST /v1/creations/{id}/wallet/refunds refundCreationSpend",
      "POST /v1/creations/{id}/wallet/deposit depositToCreationWallet",
      "POST /v1/creations/{id}/wallet/spend spendFromCreationWallet",
      "POST /v1/creations/{id}/wallet/holds holdCreationFunds",
      "POST /v1/creations/{id}/wallet/holds/{hold_id}/capture captureCreationHold",
      "POST /v1/creations/{id}/wallet/holds/{hold_id}/release releaseCreationHold",
      "GET /v1/creations/{id}/wallet/transactions listCreationTransactions",
      "GET /v1/users/{user_id}/wallet getUserWallet",
      "POST /v1/users/{user_id}/wallet/refunds refundUserSpend",
      "GET /v1/me/wallet getMyWallet",
      "GET /v1/me/wallet/transactions listMyTransactions",
      "POST /v1/me/credits/spend spendMyCredits",
      "POST /v1/me/authorizations/budget grantBudget",
      "GET /v1/me/authorizations listAuthorizations",
      "DELETE /v1/me/authorizations/{authorization_id} revokeAuthorization",
      "POST /v1/me/access-tokens createAccessToken",
      "POST /v1/users/{user_id}/wallet/deposit depositToUserWallet",
      "GET /v1/billing/balance/{userId} billingBalance",
      "POST /v1/billing/check-sufficient billingCheckSufficient",
      "POST /v1/billing/consume billingConsume",
      "POST /v1/rooms/{creation_id}/{room}/tickets createRoomTicket",
      "GET /v1/rooms/{creation_id}/{room} room",
      "POST /v1/rooms/{creation_id}/{room}/messages pushRoomMessage",
      "POST /v1/rooms/{creation_id}/{room}/state patchRoomState",
      "POST /v1/creations/{creation_id}/chat chat",
      "GET /v1/creations/{creation_id}/chat/{chat_id}/stream resumeChatStream",
      "POST /v1/creations/{creation_id}/chat/{chat_id}/stop stopChat",
      "GET /v1/creations/{creation_id}/chats listChats",
      "GET /v1/creations/{creation_id}/chat/{chat_id} getChat",
      "DELETE /v1/creations/{creation_id}/chat/{chat_id} deleteChat",
      "GET /v1/creations/{creation_id}/session/prefs getSessionPrefs",
      "PUT /v1/creations/{creation_id}/session/prefs putSessionPrefs",
      "POST /v1/creations/{creation_id}/session/send sessionSend",
      "POST /v1/creations/{creation_id}/session/tickets createSessionTicket",
      "GET /v1/creations/{creation_id}/session sessionSocket",
      "POST /v1/creations/{creation_id}/stream streamOnce",
      "POST /v1/creations/{creation_id}/session/clear sessionClear",
      "POST /v1/tools/llm/v1/chat/completions llmChatCompletions",
      "POST /v1/tools/llm/v1/messages llmMessages",
      "POST /v1/subdomains/{name}/claim claimSubdomain",
      "GET /v1/subdomains/{name} getSubdomain",
      "DELETE /v1/subdomains/{name} releaseSubdomain",
      "POST /v1/subdomains/{name}/invites inviteCollaborator",
      "POST /v1/subdomains/{name}/join joinSubdomain",
      "DELETE /v1/subdomains/{name}/collaborators/{email} removeCollaborator",
      "GET /v1/subdomains/{name}/access checkSubdomainAccess",
      "GET /v1/me/subdomains mySubdomains",
      "POST /v1/admin/registry/import importRegistry",
      "PUT /v1/admin/subdomains/{name}/reservation setSubdomainReservation",
      "GET /v1/admin/reservations listReservations",
      "GET /v1/admin/subdomains searchSubdomains",
      "GET /v1/admin/users/{id} getUserStatus",
      "POST /v1/admin/users/{id}/disable disableUser",
      "POST /v1/admin/users/{id}/enable enableUser",
      "POST /v1/webhooks/stripe stripeWebhook",
      "POST /registry/claim registryClaim",
      "GET /registry/check/{subdomain} registryCheck",
      "POST /registry/invite registryInvite",
      "POST /registry/join registryJoin",
      "GET /registry/check/{subdomain}/access registryAccess",
      "GET /registry/resolve/{subdomain} registryResolve",
      "GET /registry/registry.json registryJson",
      "POST /registry/webhook registryWebhook",
      "POST /v1/dev/sign-in devSignIn",
    ]);
  });

  it("describes the principal schema, auth and error responses of GET /v1/me", async () => {
    const document = (await (await api("/openapi.json")).json()) as OpenApi;
    const me = document.paths["/v1/me"]?.get;
    expect(me?.security).toEqual([
      { userJwt: [] },
      { serviceSignature: [] },
      { creationToken: [] },
      { creationApiKey: [] },
      { secretKey: [] },
    ]);
    expect(Object.keys(me?.responses ?? {})).toEqual(["200", "401", "403"]);
    const schema = JSON.stringify(me?.responses["200"]);
    expect(schema).toContain('"const":"user"');
    expect(schema).toContain('"const":"service"');
    expect(Object.keys(document.components.securitySchemes)).toEqual([
      "userJwt",
      "creationToken",
      "creationApiKey",
      "secretKey",
      "publishableKey",
      "serviceSignature",
    ]);
    const described = document.paths["/v1/publishable-key"]?.get;
    expect(described?.security).toEqual([{ publishableKey: [] }]);
  });
});

type Described = { description?: string; responses?: Record<string, { description: string }> };

function operationOf(document: OpenApi, path: string, method: string): Described {
  const operation = document.paths[path]?.[method];
  if (!operation) throw new Error(`no ${method} ${path} in the document`);
  return operation as Described;
}

describe("/openapi.json descriptions render as CommonMark", () => {
  const descriptionsOf = (document: OpenApi & { info: { description: string } }) => [
    document.info.description,
    ...Object.values(document.paths).flatMap((methods) =>
      Object.values(methods as Record<string, Described>).flatMap((op) => [
        op.description ?? "",
        ...Object.values(op.responses ?? {}).map((response) => response.description),
      ]),
    ),
  ];

  it("keeps <placeholders> outside code spans from being read as HTML tags", async () => {
    const document = (await (await api("/openapi.json")).json()) as OpenApi & {
      info: { description: string };
    };
    const schedule = operationOf(document, "/v1/creations/{id}/schedules/{name}", "put");
    expect(schedule.description).toContain('"\\<timestamp>.\\<body>"');
    for (const text of descriptionsOf(document)) {
      const outsideCode = text.replace(/`[^`]*`/g, "");
      expect(outsideCode, text).not.toMatch(/(^|[^\\])<[A-Za-z/]/);
    }
  });

  it("links error codes to their catalogue entry and names each operation's callers", async () => {
    const document = (await (await api("/openapi.json")).json()) as OpenApi;
    const spend = operationOf(document, "/v1/me/credits/spend", "post");
    expect(spend.responses?.["402"]?.description).toContain(
      "[`INSUFFICIENT_CREDITS`](/docs#error-INSUFFICIENT_CREDITS)",
    );
    const me = operationOf(document, "/v1/me", "get");
    expect(me.description).toBe(
      "**Callers:** a user (JWT), the platform (service signature) or a creation (its `rct_` token or a secret key).",
    );
    expect(operationOf(document, "/health", "get").description).toBe(
      "**Callers:** anyone; no credentials.",
    );
  });
});

describe("/docs", () => {
  const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

  it("serves the reference page that loads Scalar from this origin and reads /openapi.json", async () => {
    const response = await api("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain(`<script src="${DOCS_ASSETS.script}"></script>`);
    expect(page).toContain(`<script src="${DOCS_ASSETS.mount}"></script>`);
    expect(page).toContain(`<link rel="stylesheet" href="${DOCS_ASSETS.stylesheet}">`);
    expect(page).toContain('data-openapi-url="/openapi.json"');
    // Works offline and under script-src/style-src 'self': nothing from another host, and no
    // inline script or style.
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=/);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it.each([
    [DOCS_ASSETS.script, "javascript"],
    [DOCS_ASSETS.mount, "javascript"],
    [DOCS_ASSETS.stylesheet, "text/css"],
    [DOCS_ASSETS.pageStylesheet, "text/css"],
  ])("serves %s as %s", async (path, type) => {
    const response = await api(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(type);
    expect((await response.text()).length).toBeGreaterThan(0);
  });

  it("lists every error code with its status and title under an anchor without spaces", async () => {
    const page = await (await api("/docs")).text();
    const ids = [...page.matchAll(/\sid="([^"]*)"/g)].map((match) => match[1] ?? "");
    expect(ids.filter((id) => /\s/.test(id))).toEqual([]);
    expect(ids).toContain("errors");
    for (const code of codes) {
      const { status, title } = ERROR_CATALOGUE[code];
      // problemType(code) is the `type` of every problem with this code: its fragment is here.
      const anchor = problemType(code).split("#")[1] ?? "";
      expect(anchor).toBe(errorAnchor(code));
      const row = page.match(new RegExp(`<tr id="${anchor}">(.*?)</tr>`))?.[1];
      expect(row, code).toBeDefined();
      expect(row).toContain(`<code>${code}</code>`);
      expect(row).toContain(`<td>${status}</td>`);
      expect(row).toContain(`<td>${escapeHtml(title)}</td>`);
    }
    expect(ids.filter((id) => id.startsWith("error-"))).toHaveLength(codes.length);
  });
});

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
