// Which provider a deployment's AI settings choose, and the refusals a wrong setting gets.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { devReply } from "../src/ai/dev-model.ts";
import { languageModel, platformModelConfig, WORKERS_AI_DEFAULT_MODEL } from "../src/ai/models.ts";
import { chargeFor, estimateTokens } from "../src/ai/pricing.ts";

const withVars = (vars: Record<string, string>) => ({ ...env, ...vars }) as Env;

describe("AI provider settings", () => {
  it("defaults to the offline development model", () => {
    const config = platformModelConfig(withVars({ AI_PROVIDER: "" }));
    expect(config).toMatchObject({ provider: "dev", model: "troupe-dev", ownKey: false });
    expect(languageModel(config, config.model).modelId).toBe("troupe-dev");
  });

  it("refuses Workers AI without its binding, and uses its default model with one", () => {
    expect(() => platformModelConfig(withVars({ AI_PROVIDER: "workers-ai" }))).toThrow(
      /needs the AI binding/,
    );
    const fakeBinding = { run: async () => ({}) };
    const config = platformModelConfig({
      ...withVars({ AI_PROVIDER: "workers-ai", AI_MODEL: "" }),
      AI: fakeBinding,
    } as unknown as Env);
    expect(config).toMatchObject({ provider: "workers-ai", model: WORKERS_AI_DEFAULT_MODEL });
  });

  it("refuses an OpenAI-compatible provider without a URL or model, or on localhost unless allowed", () => {
    expect(() =>
      platformModelConfig(
        withVars({ AI_PROVIDER: "openai-compatible", AI_BASE_URL: "", AI_MODEL: "m" }),
      ),
    ).toThrow(/needs AI_BASE_URL/);
    expect(() =>
      platformModelConfig(
        withVars({
          AI_PROVIDER: "openai-compatible",
          AI_BASE_URL: "http://localhost:1/v1",
          AI_MODEL: "m",
          ALLOW_LOCALHOST_WEBHOOKS: "false",
        }),
      ),
    ).toThrow(/ALLOW_LOCALHOST_WEBHOOKS/);
    expect(() =>
      platformModelConfig(
        withVars({
          AI_PROVIDER: "openai-compatible",
          AI_BASE_URL: "http://api.example.com/v1",
          AI_MODEL: "m",
        }),
      ),
    ).toThrow(/https/);
    expect(() => platformModelConfig(withVars({ AI_PROVIDER: "gpt" }))).toThrow(/not supported/);
  });

  it("prices by the formula and estimates 4 characters a token", () => {
    expect(
      chargeFor({ input_tokens: 1234, output_tokens: 567 }, { inputPer1k: 1, outputPer1k: 4 }),
    ).toBe(4);
    expect(
      chargeFor({ input_tokens: 0, output_tokens: 0 }, { inputPer1k: 1, outputPer1k: 4 }),
    ).toBe(0);
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcde")).toBe(2);
    expect(devReply("hi")).toContain('You said: "hi"');
  });
});
