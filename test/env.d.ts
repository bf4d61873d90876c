// Bindings that exist only in the test Worker (see vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    MIGRATIONS_PROBE: DurableObjectNamespace<
      import("./fixtures/migrations-probe.ts").MigrationsProbe
    >;
  }
}
