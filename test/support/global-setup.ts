import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startJwksServer } from "./jwks-server.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

/** Network peers the Worker tests talk to, started once in Node for the whole run. */
export default async function setup(project: TestProject) {
  // The static files the Worker serves that the repository does not keep (the client SDK, the
  // examples, the API reference renderer): built as `wrangler dev` and `deploy` build them.
  execFileSync(process.execPath, ["scripts/build-client.mjs"], { stdio: "inherit" });
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  const jwks = await startJwksServer();
  project.provide("jwksUrl", jwks.url);
  project.provide("jwksPrivateJwk", jwks.privateJwk);
  return async () => {
    await Promise.all([receiver.close(), jwks.close()]);
  };
}
