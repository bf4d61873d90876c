// Runs in workerd before each test file: the D1 schema the Worker expects, and the clock.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { setTestClock } from "../src/shared/clock.ts";
import { TEST_CLOCK_START } from "./clock.ts";

await applyD1Migrations(env.DB, env.TEST_D1_MIGRATIONS);

// Every file starts at the same known instant, mid-day UTC, and the clock runs on from there:
// no test depends on the day the suite runs or crosses a midnight unless it moves there itself.
setTestClock(TEST_CLOCK_START);
