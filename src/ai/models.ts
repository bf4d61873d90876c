// Which model a session talks to. The deployment chooses a provider (AI_PROVIDER): the offline
// development model (default), any OpenAI-compatible server (AI_BASE_URL, AI_API_KEY, AI_MODEL:
// OpenAI, Groq, Ollama, llama.cpp, vLLM…), or Workers AI. A creation that keeps its own
// AI_API_KEY (and optionally AI_BASE_URL, AI_MODEL) in the secrets vault brings its own key:
// its sessions call its provider, and the platform charges no token price for them.

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { createWorkersAI } from "workers-ai-provider";
import { ApiError } from "../shared/errors.ts";
import { DEV_MODEL_ID, devModel } from "./dev-model.ts";

export type AiProvider = "dev" | "openai-compatible" | "workers-ai";

/** Workers AI's model when AI_MODEL names none. */
export const WORKERS_AI_DEFAULT_MODEL = "@cf/meta/llama-3.1-8b-instruct";

/** Where generations go: the platform's provider, or a creation's own. */
export interface ModelConfig {
  provider: AiProvider;
  baseUrl: string | null;
  apiKey: string | null;
  /** The default model; a user's preference may pick another from `models`. */
  model: string;
  /** The models a user may choose between. */
  models: readonly string[];
  /** True when the creation brought its own key: usage is recorded, not charged. */
  ownKey: boolean;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function checkBaseUrl(text: string, allowLocalhost: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiError("SERVER_MISCONFIGURED", "AI_BASE_URL is not a URL.");
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    throw new ApiError("SERVER_MISCONFIGURED", "AI_BASE_URL must be https (or http on localhost).");
  }
  if (local && !allowLocalhost) {
    throw new ApiError(
      "SERVER_MISCONFIGURED",
      "AI_BASE_URL on localhost needs ALLOW_LOCALHOST_WEBHOOKS=true (development only).",
    );
  }
  return text.replace(/\/+$/, "");
}

/** A secret a deployment may leave unset (`wrangler secret put` only when needed), so the
 *  generated Env type does not list it. */
function optionalSecret(env: Env, name: string): string | null {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

const list = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** The platform's provider, from the Worker's vars and secrets. */
export function platformModelConfig(env: Env): ModelConfig {
  const provider = (env.AI_PROVIDER?.trim() || "dev") as AiProvider;
  if (provider === "dev") {
    return {
      provider,
      baseUrl: null,
      apiKey: null,
      model: DEV_MODEL_ID,
      models: [DEV_MODEL_ID],
      ownKey: false,
    };
  }
  if (provider === "workers-ai") {
    // The AI binding is not in the default wrangler.jsonc (npm start stays offline): a
    // deployment that picks Workers AI adds it (README, "AI sessions").
    if (!workersAiBinding(env)) {
      throw new ApiError(
        "SERVER_MISCONFIGURED",
        'AI_PROVIDER=workers-ai needs the AI binding: add "ai": { "binding": "AI" } to wrangler.jsonc.',
      );
    }
    const model = env.AI_MODEL?.trim() || WORKERS_AI_DEFAULT_MODEL;
    const models = list(env.AI_MODELS);
    return {
      provider,
      baseUrl: null,
      apiKey: null,
      model,
      models: models.includes(model) ? models : [model, ...models],
      ownKey: false,
    };
  }
  if (provider !== "openai-compatible") {
    throw new ApiError("SERVER_MISCONFIGURED", `AI_PROVIDER "${provider}" is not supported.`);
  }
  const model = env.AI_MODEL?.trim();
  if (!env.AI_BASE_URL || !model) {
    throw new ApiError(
      "SERVER_MISCONFIGURED",
      "AI_PROVIDER=openai-compatible needs AI_BASE_URL and AI_MODEL.",
    );
  }
  const models = list(env.AI_MODELS);
  return {
    provider,
    baseUrl: checkBaseUrl(env.AI_BASE_URL, env.ALLOW_LOCALHOST_WEBHOOKS === "true"),
    apiKey: optionalSecret(env, "AI_API_KEY"),
    model,
    models: models.includes(model) ? models : [model, ...models],
    ownKey: false,
  };
}

/** A creation's own provider, from its vault (AI_API_KEY, AI_BASE_URL, AI_MODEL). */
export function ownModelConfig(
  env: Env,
  secrets: { apiKey: string; baseUrl: string | null; model: string | null },
): ModelConfig {
  const platform = platformModelConfig(env);
  const baseUrl = secrets.baseUrl ?? platform.baseUrl ?? "https://api.openai.com/v1";
  const model = secrets.model ?? platform.model;
  return {
    provider: "openai-compatible",
    baseUrl: checkBaseUrl(baseUrl, env.ALLOW_LOCALHOST_WEBHOOKS === "true"),
    apiKey: secrets.apiKey,
    model,
    models: [model],
    ownKey: true,
  };
}

/** The Workers AI binding, when the deployment has one (it is not in the generated Env). */
function workersAiBinding(env: Env): Ai | null {
  const binding = (env as unknown as { AI?: Ai }).AI;
  return binding ?? null;
}

export function languageModel(config: ModelConfig, modelId: string, env?: Env): LanguageModelV4 {
  if (config.provider === "dev") return devModel(modelId);
  if (config.provider === "workers-ai") {
    const binding = env ? workersAiBinding(env) : null;
    if (!binding) throw new ApiError("SERVER_MISCONFIGURED", "The AI binding is missing.");
    return createWorkersAI({ binding })(modelId) as unknown as LanguageModelV4;
  }
  const provider = createOpenAICompatible({
    name: "openai-compatible",
    baseURL: config.baseUrl as string,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    includeUsage: true,
  });
  return provider.chatModel(modelId) as LanguageModelV4;
}
