// A user's preferences in a session: the model (from the list the deployment allows) and the
// temperature, stored on the session's row.

import { type ModelConfig, platformModelConfig } from "../../ai/models.ts";
import { ApiError } from "../../shared/errors.ts";
import type { PutPrefs } from "../../shared/schemas/chat.ts";

export class SessionPrefs {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {}

  stored(): { model: string | null; temperature: number | null } {
    const row = this.sql
      .exec<{ model: string | null; temperature: number | null }>(
        "SELECT model, temperature FROM session",
      )
      .toArray()[0];
    return { model: row?.model ?? null, temperature: row?.temperature ?? null };
  }

  view() {
    const config = this.config();
    const stored = this.stored();
    return {
      model: stored.model && config.models.includes(stored.model) ? stored.model : config.model,
      temperature: stored.temperature,
      models: [...config.models],
    };
  }

  put(input: PutPrefs) {
    const config = this.config();
    if (input.model !== undefined && !config.models.includes(input.model)) {
      throw new ApiError("MODEL_NOT_ALLOWED", `Choose one of: ${config.models.join(", ")}.`, {
        models: config.models,
      });
    }
    if (input.model !== undefined) this.sql.exec("UPDATE session SET model = ?", input.model);
    if (input.temperature !== undefined) {
      this.sql.exec("UPDATE session SET temperature = ?", input.temperature);
    }
    return this.view();
  }

  private config(): ModelConfig {
    return platformModelConfig(this.env);
  }
}
