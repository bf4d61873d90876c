import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "./test/bindings.ts";
import { startModelServer } from "./test/support/model-server.ts";

// Wrangler checks the secrets listed in wrangler.jsonc against process.env; the test Worker
// gets them from TEST_BINDINGS, so this only keeps that check quiet and consistent.
for (const [name, value] of Object.entries(TEST_BINDINGS)) process.env[name] ??= value;

// A real OpenAI-compatible server on this machine (test/support/model-server.ts): the Worker's
// sessions call it as their provider, and tests script it and read what it received. Started
// here, not in globalSetup, because the Worker's bindings must name its address.
const modelServer = await startModelServer();
const AI_BINDINGS = {
  AI_PROVIDER: "openai-compatible",
  AI_BASE_URL: `${modelServer.url}/v1`,
  AI_MODEL: "test-model",
  AI_MODELS: "test-model,test-model-large",
  AI_MAX_OUTPUT_TOKENS: "200",
  // Prices high enough that a short reply costs whole credits of its own.
  AI_INPUT_CREDITS_PER_1K_TOKENS: "100",
  AI_OUTPUT_CREDITS_PER_1K_TOKENS: "400",
};

export default defineConfig({
  plugins: [
    cloudflareTest({
      // The fixture entry re-exports the real Worker and adds test-only actors and routes.
      main: "./test/fixtures/worker.ts",
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          ...TEST_BINDINGS,
          ...AI_BINDINGS,
          MODEL_SERVER_URL: modelServer.url,
          TEST_D1_MIGRATIONS: await readD1Migrations("./migrations"),
        },
        durableObjects: {
          // The real UserDO plus one test hook (test/fixtures/user-hooks.ts).
          USER: { className: "UserDOWithTestHooks", useSQLite: true },
          MIGRATIONS_PROBE: { className: "MigrationsProbe", useSQLite: true },
          SCHEDULER_PROBE: { className: "SchedulerProbe", useSQLite: true },
          OUTBOX_SENDER: { className: "OutboxSender", useSQLite: true },
          OUTBOX_RECEIVER: { className: "OutboxReceiver", useSQLite: true },
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    globalSetup: ["./test/support/global-setup.ts"],
    setupFiles: ["./test/setup.ts"],
    // workers-sdk#14736: every Durable Object RPC that rejects also leaks one unhandled
    // rejection into the test isolate, even when the test awaits and asserts it. Only those
    // (marked remote, with the actor's id) are dropped; any other unhandled error fails the run.
    onUnhandledError(error) {
      const rpc = error as { remote?: unknown; durableObjectId?: unknown };
      if (rpc.remote === true && typeof rpc.durableObjectId === "string") return false;
    },
  },
});
