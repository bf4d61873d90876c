import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "./test/bindings.ts";

// Wrangler checks the secrets listed in wrangler.jsonc against process.env; the test Worker
// gets them from TEST_BINDINGS, so this only keeps that check quiet and consistent.
for (const [name, value] of Object.entries(TEST_BINDINGS)) process.env[name] ??= value;

export default defineConfig({
  plugins: [
    cloudflareTest({
      // The fixture entry re-exports the real Worker and adds test-only actors and routes.
      main: "./test/fixtures/worker.ts",
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { ...TEST_BINDINGS, TEST_D1_MIGRATIONS: await readD1Migrations("./migrations") },
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
