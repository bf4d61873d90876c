// What a generation costs in credits, from the provider's reported token usage:
//   ceil((input_tokens × AI_INPUT_CREDITS_PER_1K_TOKENS + output_tokens × AI_OUTPUT_CREDITS_PER_1K_TOKENS) / 1000)
// When the provider reports no usage (a stream cut off, a stop before the usage chunk), the
// tokens are estimated from the text: AI_CHARS_PER_TOKEN characters a token, rounded up.

import { ApiError } from "../shared/errors.ts";

/** A common rule of thumb for English text with today's tokenizers. */
export const AI_CHARS_PER_TOKEN = 4;

export interface AiRates {
  inputPer1k: number;
  outputPer1k: number;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** True when the provider reported nothing and the counts come from the text. */
  estimated: boolean;
}

const DEFAULT_RATES: AiRates = { inputPer1k: 1, outputPer1k: 4 };

function rate(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new ApiError("SERVER_MISCONFIGURED", `${name} must be a whole number of credits.`);
  }
  return value;
}

export function aiRates(env: Env): AiRates {
  return {
    inputPer1k: rate(
      "AI_INPUT_CREDITS_PER_1K_TOKENS",
      env.AI_INPUT_CREDITS_PER_1K_TOKENS,
      DEFAULT_RATES.inputPer1k,
    ),
    outputPer1k: rate(
      "AI_OUTPUT_CREDITS_PER_1K_TOKENS",
      env.AI_OUTPUT_CREDITS_PER_1K_TOKENS,
      DEFAULT_RATES.outputPer1k,
    ),
  };
}

export function chargeFor(
  usage: Pick<TokenUsage, "input_tokens" | "output_tokens">,
  rates: AiRates,
) {
  return Math.ceil(
    (usage.input_tokens * rates.inputPer1k + usage.output_tokens * rates.outputPer1k) / 1000,
  );
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / AI_CHARS_PER_TOKEN);
}
