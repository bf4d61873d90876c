// What one generation runs with, decided when it starts: the provider and model, the system
// prompt, the longest reply, and who pays; and the worst case the payer's wallet must hold.

import { type ModelConfig, ownModelConfig, platformModelConfig } from "../../ai/models.ts";
import { aiRates, chargeFor } from "../../ai/pricing.ts";
import { resolveCreationSecret } from "../secrets/resolve.ts";

/** The longest reply when AI_MAX_OUTPUT_TOKENS says nothing usable. */
const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

export interface Plan {
  config: ModelConfig;
  model: string;
  system: string | null;
  maxOutputTokens: number;
  /** The wallet account that holds and pays. */
  payer: string;
}

/** The creation's own provider when it keeps AI_API_KEY in its vault, else the platform's. */
export async function creationModelConfig(env: Env, creationId: string): Promise<ModelConfig> {
  const apiKey = await resolveCreationSecret(env, creationId, "AI_API_KEY");
  if (apiKey === null) return platformModelConfig(env);
  const [baseUrl, model] = await Promise.all([
    resolveCreationSecret(env, creationId, "AI_BASE_URL"),
    resolveCreationSecret(env, creationId, "AI_MODEL"),
  ]);
  return ownModelConfig(env, { apiKey, baseUrl, model });
}

/** The user's pick, else the creation's, else the deployment's default (a creation with its
 *  own key uses its own model). */
export function chosenModel(
  config: ModelConfig,
  picked: string | null,
  creationModel: string | null,
): string {
  if (config.ownKey) return config.model;
  if (picked && config.models.includes(picked)) return picked;
  return creationModel && config.models.includes(creationModel) ? creationModel : config.model;
}

export function deploymentMaxOutputTokens(env: Env): number {
  const value = Number(env.AI_MAX_OUTPUT_TOKENS || DEFAULT_MAX_OUTPUT_TOKENS);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_OUTPUT_TOKENS;
}

/** Credits for the prompt and the longest reply allowed: no generation can cost more. */
export function worstCase(env: Env, promptTokens: number, maxOutputTokens: number): number {
  const charge = chargeFor(
    { input_tokens: promptTokens, output_tokens: maxOutputTokens },
    aiRates(env),
  );
  return Math.max(1, charge);
}
