// AI streaming: a reply through SessionDO (router, hold, every chunk stored and relayed, settle)
// against the same reply read directly from the local OpenAI-compatible model server, in the
// same run: time to first token and text parts per second, one stream at a time and ten at once.

/** Words the model streams per reply. */
export const AI_REPLY_CHUNKS = 200;
/** The model's pace: 5 ms a word is 200 words a second, faster than most hosted models. */
export const AI_CHUNK_DELAY_MS = 5;
/** Replies each way, taking turns. */
export const AI_STREAMS = 20;
/** Streams at once in the saturated rounds. */
export const AI_CONCURRENT_STREAMS = 10;

const decoder = new TextDecoder();

/** Reads an SSE body; answers the time of its first text part and the count of text parts. */
async function readParts(response, isText) {
  const reader = response.body.getReader();
  let buffer = "";
  let first = null;
  let parts = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const data = buffer
        .slice(0, end)
        .split("\n")
        .find((l) => l.startsWith("data: "))
        ?.slice(6);
      buffer = buffer.slice(end + 2);
      if (data && data !== "[DONE]" && isText(JSON.parse(data))) {
        parts++;
        first ??= performance.now();
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return { first, parts, end: performance.now() };
}

const directIsText = (chunk) => Boolean(chunk.choices?.[0]?.delta?.content);
const sessionIsText = (chunk) => chunk.type === "text-delta";

export function aiScenarios({ modelUrl, url, jwtFor, createFundedCreation }) {
  const words = Array.from({ length: AI_REPLY_CHUNKS }, (_, i) => `w${i} `);
  let next = 0;
  const setup = async () => {
    const response = await fetch(`${modelUrl}/__control/scripts/bench`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chunks: words,
        chunkDelayMs: AI_CHUNK_DELAY_MS,
        usage: { prompt_tokens: 20, completion_tokens: AI_REPLY_CHUNKS },
      }),
    });
    if (!response.ok) throw new Error(`model script: ${response.status}`);
    const owner = await jwtFor("bench-ai-owner");
    return createFundedCreation(owner);
  };
  const direct = async () => {
    const begin = performance.now();
    const response = await fetch(`${modelUrl}/v1/chat/completions?way=direct`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "bench-model",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "go [[bench]]" }],
      }),
    });
    return { begin, ...(await readParts(response, directIsText)) };
  };
  const session = (creation) => async () => {
    const n = next++;
    // A user and a chat per stream: the session's limits (chats, concurrent replies) stay clear.
    const jwt = await jwtFor(`bench-ai-${n % 50}`);
    const begin = performance.now();
    const response = await fetch(url(`/v1/creations/${creation.id}/chat`), {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: `bench-${n}`,
        message: { id: `m${n}`, role: "user", parts: [{ type: "text", text: "go [[bench]]" }] },
      }),
    });
    if (response.status !== 200)
      throw new Error(`chat: ${response.status} ${await response.text()}`);
    return { begin, ...(await readParts(response, sessionIsText)) };
  };
  return { setup, direct, session };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Streams that broke off, with why (printed under the table). */
const failures = [];

/** Streams `count` replies `concurrency` at a time; per stream: ms to first part, parts/s. */
async function streams(stream, count, concurrency, way) {
  const results = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      try {
        results.push(await stream());
      } catch (error) {
        failures.push(`${way}: ${error.message} (${error.cause?.message ?? ""})`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results.map(({ begin, first, parts, end }) => ({
    ttftMs: first - begin,
    partsPerSecond: parts / ((end - first) / 1000),
    parts,
  }));
}

/** Both ways take turns in five slices; prints medians and ratios against the direct stream. */
export async function measureAi(scenarios, concurrency) {
  const creation = await scenarios.setup();
  const rows = { direct: [], session: [] };
  await streams(scenarios.direct, 2, 1, "direct");
  await streams(scenarios.session(creation), 2, 1, "session");
  const slice = Math.ceil(AI_STREAMS / 5);
  for (let i = 0; i < 5; i++) {
    rows.direct.push(...(await streams(scenarios.direct, slice, concurrency, "direct")));
    rows.session.push(
      ...(await streams(scenarios.session(creation), slice, concurrency, "session")),
    );
  }
  const summary = (list) => ({
    ttft: median(list.map((r) => r.ttftMs)),
    pps: median(list.map((r) => r.partsPerSecond)),
    parts: median(list.map((r) => r.parts)),
  });
  const direct = summary(rows.direct);
  const session = summary(rows.session);
  console.log(
    `\nAI streaming, ${AI_REPLY_CHUNKS} parts a reply at ${AI_CHUNK_DELAY_MS} ms a part  (${concurrency} at once, ${rows.direct.length} replies each way)`,
  );
  console.log(
    "| way | parts | ttft ms (median) | parts/s (median) | ttft ÷ direct | parts/s ÷ direct |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, row] of [
    ["model server, read directly (baseline)", direct],
    ["through SessionDO (router, hold, stored, relayed)", session],
  ]) {
    console.log(
      `| ${name} | ${row.parts} | ${row.ttft.toFixed(1)} | ${row.pps.toFixed(0)} | ${(row.ttft / direct.ttft).toFixed(2)} | ${(row.pps / direct.pps).toFixed(2)} |`,
    );
  }
  if (failures.length > 0) console.log(`broken streams: ${failures.splice(0).join("; ")}`);
}
