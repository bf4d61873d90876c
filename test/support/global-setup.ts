import type { TestProject } from "vitest/node";
import { startWebhookReceiver } from "./webhook-receiver.ts";

/** Network peers the Worker tests talk to, started once in Node for the whole run. */
export default async function setup(project: TestProject) {
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  return () => receiver.close();
}
