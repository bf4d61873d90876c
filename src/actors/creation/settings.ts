// A creation's settings after a PATCH: the fields it names change, the rest keep their values.
// The checks a field needs beyond its schema (a webhook URL's host, a model the deployment
// offers) run here, before anything is written.

import type { UpdateCreation } from "../../shared/schemas/creation.ts";
import { patchedAiSettings } from "./ai-settings.ts";
import { checkWebhookUrl } from "./schedule-rules.ts";
import type { CreationRow } from "./schema.ts";

export type SettingsColumns = Pick<
  CreationRow,
  "name" | "allow_anonymous" | "webhook_url" | "ai" | "permissions" | "creator_share_pct"
>;

export function settingsAfter(
  env: Env,
  row: CreationRow,
  changes: UpdateCreation,
): SettingsColumns {
  if (changes.webhook_url) {
    checkWebhookUrl(changes.webhook_url, env.ALLOW_LOCALHOST_WEBHOOKS === "true");
  }
  return {
    name: changes.name === undefined ? row.name : changes.name,
    allow_anonymous:
      changes.allow_anonymous === undefined ? row.allow_anonymous : Number(changes.allow_anonymous),
    webhook_url: changes.webhook_url === undefined ? row.webhook_url : changes.webhook_url,
    ai: changes.ai === undefined ? row.ai : patchedAiSettings(env, row, changes.ai),
    permissions:
      changes.permissions === undefined ? row.permissions : JSON.stringify(changes.permissions),
    creator_share_pct: changes.entitlement_creator_share_pct ?? row.creator_share_pct,
  };
}
