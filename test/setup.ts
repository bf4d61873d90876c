// Runs in workerd before each test file: the D1 schema the Worker expects.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_D1_MIGRATIONS);
