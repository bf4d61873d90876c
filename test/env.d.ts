/// <reference types="vite/client" />
// Bindings that exist only in the test Worker (see vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    TEST_D1_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The local OpenAI-compatible server the sessions call (test/support/model-server.ts). */
    MODEL_SERVER_URL: string;
    MIGRATIONS_PROBE: DurableObjectNamespace<
      import("./fixtures/migrations-probe.ts").MigrationsProbe
    >;
    SCHEDULER_PROBE: DurableObjectNamespace<import("./fixtures/scheduler-probe.ts").SchedulerProbe>;
    OUTBOX_SENDER: DurableObjectNamespace<import("./fixtures/scheduler-probe.ts").OutboxSender>;
    OUTBOX_RECEIVER: DurableObjectNamespace<import("./fixtures/scheduler-probe.ts").OutboxReceiver>;
  }
}
