// A creation's row as the API shows it.

import type { Creation } from "../../shared/schemas/creation.ts";
import { aiSettingsOf } from "./ai-settings.ts";
import { permissionsOf } from "./catalog.ts";
import type { CreationRow } from "./schema.ts";

export function toCreation(row: CreationRow): Creation {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    allow_anonymous: row.allow_anonymous === 1,
    webhook_url: row.webhook_url,
    token_version: row.token_version,
    ai: aiSettingsOf(row),
    permissions: permissionsOf(row),
    entitlement_creator_share_pct: row.creator_share_pct,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
