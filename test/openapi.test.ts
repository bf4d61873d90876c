import { describe, expect, it } from "vitest";
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
      "GET /v1/creations/{id}/wallet getCreationWallet",
      "POST /v1/creations/{id}/wallet/deposit depositToCreationWallet",
      "POST /v1/creations/{id}/wallet/spend spendFromCreationWallet",
      "POST /v1/creations/{id}/wallet/holds holdCreationFunds",
      "POST /v1/creations/{id}/wallet/holds/{hold_id}/capture captureCreationHold",
      "POST /v1/creations/{id}/wallet/holds/{hold_id}/release releaseCreationHold",
      "POST /v1/creations/{id}/wallet/refunds refundCreationSpend",
      "GET /v1/creations/{id}/wallet/transactions listCreationTransactions",
      "GET /v1/me/wallet getMyWallet",
      "GET /v1/me/wallet/transactions listMyTransactions",
      "POST /v1/me/credits/spend spendMyCredits",
      "POST /v1/me/authorizations/budget grantBudget",
      "GET /v1/me/authorizations listAuthorizations",
      "DELETE /v1/me/authorizations/{authorization_id} revokeAuthorization",
      "POST /v1/me/access-tokens createAccessToken",
      "GET /v1/users/{user_id}/wallet getUserWallet",
      "POST /v1/users/{user_id}/wallet/deposit depositToUserWallet",
      "POST /v1/users/{user_id}/wallet/refunds refundUserSpend",
      "GET /v1/billing/balance/{userId} billingBalance",
      "POST /v1/billing/check-sufficient billingCheckSufficient",
      "POST /v1/billing/consume billingConsume",
      "POST /v1/rooms/{creation_id}/{room}/tickets createRoomTicket",
      "GET /v1/rooms/{creation_id}/{room} room",
      "POST /v1/rooms/{creation_id}/{room}/messages pushRoomMessage",
      "POST /v1/rooms/{creation_id}/{room}/state patchRoomState",
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
      "POST /v1/webhooks/stripe stripeWebhook",
      "POST /registry/claim registryClaim",
      "GET /registry/check/{subdomain} registryCheck",
      "POST /registry/invite registryInvite",
      "POST /registry/join registryJoin",
      "GET /registry/check/{subdomain}/access registryAccess",
      "GET /registry/resolve/{subdomain} registryResolve",
      "GET /registry/registry.json registryJson",
      "POST /registry/webhook registryWebhook",
    ]);
  });

  it("describes the principal schema, auth and error responses of GET /v1/me", async () => {
    const document = (await (await api("/openapi.json")).json()) as OpenApi;
    const me = document.paths["/v1/me"]?.get;
    expect(me?.security).toEqual([
      { userJwt: [] },
      { serviceSignature: [] },
      { creationToken: [] },
    ]);
    expect(Object.keys(me?.responses ?? {})).toEqual(["200", "401", "403"]);
    const schema = JSON.stringify(me?.responses["200"]);
    expect(schema).toContain('"const":"user"');
    expect(schema).toContain('"const":"service"');
    expect(Object.keys(document.components.securitySchemes)).toEqual([
      "userJwt",
      "creationToken",
      "serviceSignature",
    ]);
  });
});

describe("/docs", () => {
  it("renders the reference as self-contained HTML with every operation and error code", async () => {
    const response = await api("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain('id="getMe"');
    expect(page).toContain("<code>/v1/me</code>");
    expect(page).toContain('id="error-INVALID_SIGNATURE"');
    // Works offline: nothing is loaded from another host.
    expect(page).not.toMatch(/(src|href)="https?:/);
  });
});
