// The platform LLM tools against the real local OpenAI-compatible server: OpenAI's and
// Anthropic's shapes field by field, streaming, who may call, and the creation's wallet charged
// exactly by the token formula (held first, settled once, nothing when the provider fails).

import { describe, expect, it } from "vitest";
import { estimateTokens } from "../src/ai/pricing.ts";
import { clock } from "../src/shared/clock.ts";
import { api, asCreation, bearer, createCreation, jsonInit, problemOf } from "./helpers.ts";
import { modelRequests, readUntil, script } from "./session-helpers.ts";
import { creationWallet, expectCleanAudit, fundCreation, post } from "./wallet-helpers.ts";

/** Test prices and output cap (vitest.config.ts). */
const IN = 100;
const OUT = 400;
const MAX_OUTPUT_TOKENS = 200;
const charge = (input: number, output: number) => Math.ceil((input * IN + output * OUT) / 1000);

const COMPLETIONS = "/v1/tools/llm/v1/chat/completions";
const MESSAGES = "/v1/tools/llm/v1/messages";
const PLATFORM = { type: "service", id: "platform", secret_index: 0 } as const;

async function fundedCreation(amount = 10_000) {
  const creation = await createCreation("alice");
  await fundCreation(creation.id, amount);
  return creation;
}

async function ledgerOf(creationId: string) {
  const page = await creationWallet(creationId).transactions(`creation:${creationId}`, PLATFORM, {
    limit: 100,
  });
  return page.transactions;
}

/** An SSE body as its blocks: `data` events (parsed unless [DONE]) and `:` comments. */
function sseBlocks(text: string) {
  return text
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block) =>
      block.startsWith(": ")
        ? { comment: block.slice(2) }
        : block === "data: [DONE]"
          ? { done: true }
          : { data: JSON.parse(block.replace(/^data: /, "")) },
    );
}

describe("POST /v1/tools/llm/v1/chat/completions", () => {
  it("answers a chat.completion field by field with usage, and charges exactly by the formula", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({
      chunks: ["Hello", ", ", "world", "!"],
      usage: { prompt_tokens: 12, completion_tokens: 37 },
    });
    const response = await post(
      COMPLETIONS,
      {
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: `hi ${marker}` },
        ],
        max_tokens: 50,
      },
      asCreation(creation.token),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-troupe-charged")).toBe(String(charge(12, 37)));
    const callId = response.headers.get("x-troupe-call-id") ?? "";
    expect(callId).toMatch(/^llm_[0-9a-f-]{36}$/);
    const body = (await response.json()) as { created: number };
    expect(body).toEqual({
      id: `chatcmpl-${callId.slice(4)}`,
      object: "chat.completion",
      created: expect.any(Number),
      model: "test-model",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello, world!" },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 37, total_tokens: 49 },
    });
    expect(Math.abs(body.created - clock.now() / 1000)).toBeLessThan(60);

    const requests = await modelRequests(key);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body.model).toBe("test-model");
    expect(requests[0]?.body.max_tokens).toBe(50);
    expect(requests[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: `hi ${marker}` },
    ]);

    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect(audit.balance).toBe(10_000 - charge(12, 37));
    expect(audit.held).toBe(0);
    const [capture, hold] = await ledgerOf(creation.id);
    expect(hold).toMatchObject({ kind: "hold", type: "ai", reference_id: `${callId}:hold` });
    // The worst case: the prompt's estimate and the request's 50 output tokens.
    expect(hold?.amount).toBe(charge(estimateTokens(`Be brief.hi ${marker}`), 50));
    expect(capture).toMatchObject({
      kind: "capture",
      amount: charge(12, 37),
      description: `LLM tool chat.completions ${callId} (test-model), 12 input and 37 output tokens`,
    });
  });

  it("streams chunks that join to exactly the server's text, then a usage chunk, the charge and [DONE]", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({
      chunks: ["The ", "quick ", "brown ", "fox"],
      usage: { prompt_tokens: 20, completion_tokens: 4 },
    });
    const response = await post(
      COMPLETIONS,
      {
        model: "test-model-large",
        messages: [{ role: "user", content: [{ type: "text", text: `go ${marker}` }] }],
        stream: true,
      },
      asCreation(creation.token),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const callId = response.headers.get("x-troupe-call-id") ?? "";
    const blocks = sseBlocks(await response.text());
    const chunks = blocks.flatMap((block) => ("data" in block ? [block.data] : []));
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: `chatcmpl-${callId.slice(4)}`,
        object: "chat.completion.chunk",
        model: "test-model-large",
      });
    }
    expect(chunks[0].choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]);
    const text = chunks
      .slice(1)
      .flatMap((chunk) => chunk.choices)
      .map((choice: { delta: { content?: string } }) => choice.delta.content ?? "")
      .join("");
    expect(text).toBe("The quick brown fox");
    expect(chunks.at(-2).choices).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    ]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
    });
    expect(blocks.slice(-2)).toEqual([
      { comment: `x-troupe-charged: ${charge(20, 4)}` },
      { done: true },
    ]);
    const [request] = await modelRequests(key);
    expect(request?.body.model).toBe("test-model-large");
    expect(request?.body.max_tokens).toBe(MAX_OUTPUT_TOKENS);
    expect(request?.completed).toBe(true);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect(audit.balance).toBe(10_000 - charge(20, 4));
    expect(audit.held).toBe(0);
  });

  it("ends a stream that fails after text with usage, an error event and no [DONE], charging the text sent", async () => {
    const creation = await fundedCreation();
    const { marker } = await script({ chunks: ["one ", "two ", "three"], failAfterChunks: 2 });
    const prompt = `count ${marker}`;
    const response = await post(
      COMPLETIONS,
      { messages: [{ role: "user", content: prompt }], stream: true },
      asCreation(creation.token),
    );
    expect(response.status).toBe(200);
    const blocks = sseBlocks(await response.text());
    const chunks = blocks.flatMap((block) => ("data" in block ? [block.data] : []));
    // Estimated: the prompt from its text, the output from the text that was sent.
    const expected = charge(estimateTokens(prompt), estimateTokens("one two "));
    expect(chunks.at(-2)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: estimateTokens(prompt), completion_tokens: 2 },
    });
    expect(chunks.at(-1)).toEqual({
      error: {
        message: "The model provider failed.",
        type: "server_error",
        code: "GENERATION_FAILED",
      },
    });
    expect(blocks.at(-1)).toEqual({ comment: `x-troupe-charged: ${expected}` });
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect(audit.balance).toBe(10_000 - expected);
    expect(audit.held).toBe(0);
  });

  it("stops the provider when the caller leaves mid-stream and settles for what was generated", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({ chunks: ["partial ", "never"], stallAfterChunks: 1 });
    const prompt = `leave ${marker}`;
    const response = await post(
      COMPLETIONS,
      { messages: [{ role: "user", content: prompt }], stream: true },
      asCreation(creation.token),
    );
    const { reader } = await readUntil(response, (text) => text.includes("partial "));
    await reader.cancel();
    await expect.poll(async () => (await modelRequests(key))[0]?.aborted).toBe(true);
    const expected = charge(estimateTokens(prompt), estimateTokens("partial "));
    await expect.poll(async () => (await creationWallet(creation.id).audit()).held).toBe(0);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect(audit.balance).toBe(10_000 - expected);
  });

  it("is 402 before any upstream request when the wallet cannot hold the worst case", async () => {
    const creation = await fundedCreation(10);
    const { key, marker } = await script({ text: "never" });
    const completion = await post(
      COMPLETIONS,
      { messages: [{ role: "user", content: `pay? ${marker}` }] },
      asCreation(creation.token),
    );
    expect(completion.status).toBe(402);
    const problem = await problemOf(completion);
    const worst = charge(estimateTokens(`pay? ${marker}`), MAX_OUTPUT_TOKENS);
    expect(problem).toMatchObject({
      code: "INSUFFICIENT_CREATION_FUNDS",
      balance: 10,
      required: worst,
      shortfall: worst - 10,
    });
    const message = await post(
      MESSAGES,
      { max_tokens: 100, messages: [{ role: "user", content: `pay? ${marker}` }] },
      asCreation(creation.token),
    );
    expect(message.status).toBe(402);
    expect((await problemOf(message)).code).toBe("INSUFFICIENT_CREATION_FUNDS");
    expect(await modelRequests(key)).toEqual([]);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect([audit.balance, audit.held]).toEqual([10, 0]);
  });

  it("refuses a model the deployment does not allow with 400, before any hold", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({ text: "never" });
    const response = await post(
      COMPLETIONS,
      { model: "gpt-9", messages: [{ role: "user", content: `hi ${marker}` }] },
      asCreation(creation.token),
    );
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({
      code: "MODEL_NOT_ALLOWED",
      models: ["test-model", "test-model-large"],
    });
    expect(await modelRequests(key)).toEqual([]);
    expect((await ledgerOf(creation.id)).map((t) => t.kind)).toEqual(["deposit"]);
  });

  it("is 502 GENERATION_FAILED when the provider fails, with the balance unchanged and nothing held", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({ status: 500 });
    for (const stream of [false, true]) {
      const response = await post(
        COMPLETIONS,
        { messages: [{ role: "user", content: `fail ${marker}` }], stream },
        asCreation(creation.token),
      );
      expect(response.status, `stream: ${stream}`).toBe(502);
      const problem = await problemOf(response);
      expect(problem.code).toBe("GENERATION_FAILED");
      expect(problem.detail).toBe("The model provider answered 500.");
    }
    expect(await modelRequests(key)).toHaveLength(2);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect([audit.balance, audit.held]).toEqual([10_000, 0]);
    const kinds = (await ledgerOf(creation.id)).map((t) => t.kind);
    expect(kinds).toEqual(["release", "hold", "release", "hold", "deposit"]);
  });
});

describe("POST /v1/tools/llm/v1/messages", () => {
  it("answers the Anthropic Messages shape field by field, authenticated by x-api-key", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({
      text: "Short answer.",
      usage: { prompt_tokens: 30, completion_tokens: 4 },
    });
    const response = await post(
      MESSAGES,
      {
        model: "test-model-large",
        max_tokens: 100,
        system: "You are terse.",
        messages: [{ role: "user", content: [{ type: "text", text: `hi ${marker}` }] }],
      },
      { "x-api-key": creation.token },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-troupe-charged")).toBe(String(charge(30, 4)));
    const callId = response.headers.get("x-troupe-call-id") ?? "";
    expect(await response.json()).toEqual({
      id: `msg_${callId.slice(4)}`,
      type: "message",
      role: "assistant",
      model: "test-model-large",
      content: [{ type: "text", text: "Short answer." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 4 },
    });
    const [request] = await modelRequests(key);
    expect(request?.body.max_tokens).toBe(100);
    expect(request?.body.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: `hi ${marker}` },
    ]);
    const audit = await expectCleanAudit(creationWallet(creation.id));
    expect([audit.balance, audit.held]).toEqual([10_000 - charge(30, 4), 0]);
  });
});

describe("who may call the LLM tools", () => {
  const ask = (marker: string) => ({ messages: [{ role: "user", content: `who ${marker}` }] });

  async function createKey(creationId: string, body: Record<string, unknown>) {
    const response = await post(
      `/v1/creations/${creationId}/keys`,
      { kind: "secret", name: "k", ...body },
      await bearer({ sub: "alice" }),
    );
    expect(response.status).toBe(201);
    return ((await response.json()) as { key: string }).key;
  }

  it("admits the creation's token and live keys with the scope, and refuses everyone else", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({ text: "ok" });
    const cases: [Record<string, string>, number, string | null][] = [
      [{}, 401, "UNAUTHENTICATED"],
      [await bearer({ sub: "alice" }), 403, "FORBIDDEN"],
      [
        { "x-api-key": await createKey(creation.id, { mode: "test" }) },
        403,
        "TEST_KEY_NOT_ALLOWED",
      ],
      [
        { "x-api-key": await createKey(creation.id, { mode: "live", scopes: ["wallet:read"] }) },
        403,
        "KEY_SCOPE_DENIED",
      ],
      [
        { "x-api-key": await createKey(creation.id, { mode: "live", scopes: ["ai:generate"] }) },
        200,
        null,
      ],
      [asCreation(await createKey(creation.id, { mode: "live" })), 200, null],
      [{ "x-api-key": creation.token }, 200, null],
    ];
    for (const [headers, status, code] of cases) {
      const response = await api(COMPLETIONS, jsonInit("POST", ask(marker), headers));
      expect(response.status, JSON.stringify(headers)).toBe(status);
      if (code) expect((await problemOf(response)).code).toBe(code);
      else await response.body?.cancel();
    }
    expect(await modelRequests(key)).toHaveLength(3);
    expect((await expectCleanAudit(creationWallet(creation.id))).held).toBe(0);
  });
});

describe("malformed requests", () => {
  it("are 400 with the field named, before any hold or upstream request", async () => {
    const creation = await fundedCreation();
    const { key, marker } = await script({ text: "never" });
    const user = { role: "user", content: `x ${marker}` };
    const cases: [string, unknown, string][] = [
      [COMPLETIONS, {}, "messages"],
      [COMPLETIONS, { messages: [] }, "messages"],
      [COMPLETIONS, { messages: "hi" }, "messages"],
      [COMPLETIONS, { messages: [{ role: "tool", content: "x" }] }, "messages.0.role"],
      [COMPLETIONS, { messages: [{ role: "user", content: 5 }] }, "messages.0.content"],
      [
        COMPLETIONS,
        { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] },
        "messages.0.content",
      ],
      [COMPLETIONS, { messages: [user, { role: "user" }] }, "messages.1.content"],
      [COMPLETIONS, { messages: [user], max_tokens: 0 }, "max_tokens"],
      [COMPLETIONS, { messages: [user], max_tokens: "100" }, "max_tokens"],
      [COMPLETIONS, { messages: [user], temperature: 3 }, "temperature"],
      [COMPLETIONS, { messages: [user], stream: "yes" }, "stream"],
      [COMPLETIONS, { messages: [user], tools: [] }, "tools"],
      [COMPLETIONS, { messages: [user], model: 7 }, "model"],
      [
        COMPLETIONS,
        { messages: [user], max_tokens: 10, max_completion_tokens: 20 },
        "max_completion_tokens",
      ],
      [COMPLETIONS, { messages: Array(501).fill(user) }, "messages"],
      [
        COMPLETIONS,
        { messages: [{ role: "user", content: "x".repeat(200_001) }] },
        "messages.0.content",
      ],
      [MESSAGES, { messages: [user] }, "max_tokens"],
      [
        MESSAGES,
        { max_tokens: 10, messages: [{ role: "system", content: "x" }] },
        "messages.0.role",
      ],
      [MESSAGES, { max_tokens: 10, messages: [user], stream: true }, "stream"],
      [MESSAGES, { max_tokens: 10, messages: [user], system: { text: "x" } }, "system"],
    ];
    for (const [path, body, field] of cases) {
      const response = await post(path, body, asCreation(creation.token));
      expect(response.status, `${path} ${field}`).toBe(400);
      const problem = await problemOf(response);
      expect(problem.code).toBe("INVALID_REQUEST");
      expect(
        (problem.errors as { field: string }[])[0]?.field,
        JSON.stringify(body).slice(0, 200),
      ).toBe(field);
    }
    const broken = await api(COMPLETIONS, {
      method: "POST",
      headers: { ...asCreation(creation.token), "content-type": "application/json" },
      body: '{"messages": [',
    });
    expect((await problemOf(broken)).code).toBe("INVALID_JSON");
    expect(await modelRequests(key)).toEqual([]);
    expect((await ledgerOf(creation.id)).map((t) => t.kind)).toEqual(["deposit"]);
  });
});

describe("the LLM tools in /openapi.json", () => {
  it("documents the completion as JSON and, when streamed, as text/event-stream", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, { post: { responses: Record<string, { content?: object }> } }>;
    };
    const completions = document.paths[COMPLETIONS]?.post.responses["200"]?.content ?? {};
    expect(Object.keys(completions)).toEqual(["application/json", "text/event-stream"]);
    const messages = document.paths[MESSAGES]?.post.responses["200"]?.content ?? {};
    expect(Object.keys(messages)).toEqual(["application/json"]);
  });
});
