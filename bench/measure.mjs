// Load generation and reporting for `npm run bench`. Bounded by request count and time.

export const WARMUP_REQUESTS = 200;
export const MEASURED_REQUESTS = 2000;
export const CONCURRENCY = 8;
export const SCENARIO_TIMEOUT_MS = 60_000;

/**
 * Runs `requests` calls of `send` with `concurrency` in flight; returns latencies in ms.
 * @param {() => Promise<Response>} send
 */
export async function run(send, requests, concurrency) {
  const latencies = [];
  const deadline = Date.now() + SCENARIO_TIMEOUT_MS;
  let started = 0;
  let failures = 0;
  const worker = async () => {
    while (started < requests && Date.now() < deadline) {
      started++;
      const begin = performance.now();
      const response = await send();
      await response.arrayBuffer();
      latencies.push(performance.now() - begin);
      if (!response.ok) failures++;
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, failures, elapsedMs: performance.now() - begin };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Slices each scenario's requests are cut into when scenarios take turns. */
export const SLICES = 5;

/**
 * Measures several scenarios taking turns: each is warmed up, then each runs a fifth of its
 * requests in turn, five times over, so a machine that speeds up or slows down during the table
 * (other processes, thermal limits, the proxy's garbage collector) affects every row alike.
 * @param {Array<[string, (index: number) => Promise<Response>]>} scenarios
 */
export async function measureInTurns(
  scenarios,
  { concurrency = CONCURRENCY, requests = MEASURED_REQUESTS } = {},
) {
  const states = scenarios.map(([name, send]) => {
    let index = 0;
    return { name, next: () => send(index++), latencies: [], failures: 0, elapsedMs: 0 };
  });
  for (const state of states) {
    await run(state.next, Math.min(WARMUP_REQUESTS, requests), concurrency);
  }
  for (let slice = 0; slice < SLICES; slice++) {
    for (const state of states) {
      const part = await run(state.next, Math.ceil(requests / SLICES), concurrency);
      state.latencies.push(...part.latencies);
      state.failures += part.failures;
      state.elapsedMs += part.elapsedMs;
    }
  }
  return states.map(({ name, latencies, failures, elapsedMs }) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      name,
      concurrency,
      requests: latencies.length,
      failures,
      rps: (latencies.length / elapsedMs) * 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  });
}

/** Prints rows with throughput and p50 ratios against the row named `baseline`. */
export function printTable(title, rows, baseline) {
  const base = rows.find((row) => row.name === baseline);
  console.log(`\n${title}  (concurrency ${base.concurrency}, ${base.requests} requests each)`);
  const header = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "failures",
    "p50 ÷ baseline",
    "req/s ÷ baseline",
  ];
  const lines = rows.map((row) => [
    row.name,
    row.rps.toFixed(0),
    row.p50.toFixed(2),
    row.p99.toFixed(2),
    String(row.failures),
    (row.p50 / base.p50).toFixed(2),
    (row.rps / base.rps).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const line of lines) console.log(format(line));
}
