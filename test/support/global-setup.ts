import type { TestProject } from "vitest/node";
import { startJwksServer } from "./jwks-server.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

/** Network peers the Worker tests talk to, started once in Node for the whole run. */
export default async function setup(project: TestProject) {
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  const jwks = await startJwksServer();
  project.provide("jwksUrl", jwks.url);
  project.provide("jwksPrivateJwk", jwks.privateJwk);
  return async () => {
    await Promise.all([receiver.close(), jwks.close()]);
  };
}
