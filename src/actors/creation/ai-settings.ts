// A creation's AI settings (who pays, model, system prompt, reply length), stored as JSON on its
// row. A change names some fields; the rest keep their values.

import * as v from "valibot";
import { platformModelConfig } from "../../ai/models.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  type AiSettings,
  type AiSettingsPatchSchema,
  AiSettingsSchema,
  DEFAULT_AI_SETTINGS,
} from "../../shared/schemas/creation.ts";
import type { CreationRow } from "./schema.ts";

export function aiSettingsOf(row: Pick<CreationRow, "ai">): AiSettings {
  if (row.ai === null) return { ...DEFAULT_AI_SETTINGS };
  return v.parse(AiSettingsSchema, { ...DEFAULT_AI_SETTINGS, ...JSON.parse(row.ai) });
}

/** The settings after `patch`, as stored; a model must be one the deployment offers. */
export function patchedAiSettings(
  env: Env,
  row: Pick<CreationRow, "ai">,
  patch: v.InferOutput<typeof AiSettingsPatchSchema>,
): string {
  const next = { ...aiSettingsOf(row), ...patch };
  if (next.model !== null) {
    const { models } = platformModelConfig(env);
    if (!models.includes(next.model)) {
      throw new ApiError("MODEL_NOT_ALLOWED", `Choose one of: ${models.join(", ")}.`, { models });
    }
  }
  return JSON.stringify(next);
}
