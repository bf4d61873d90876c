// Worker entry: the Hono router for HTTP, the platform's cron jobs (scheduled), and the actor
// classes wrangler binds: creations, wallets, estimates, subdomains, users, rooms, replay guard.

import { runScheduledJobs } from "./jobs/index.ts";
import { createApp } from "./router/app.ts";

export { CreationDO } from "./actors/creation/creation-do.ts";
export { EstimatorDO } from "./actors/estimator-do.ts";
export { ReplayGuardDO } from "./actors/replay-guard-do.ts";
export { RoomDO } from "./actors/room/room-do.ts";
export { SessionDO } from "./actors/session/session-do.ts";
export { SubdomainDO } from "./actors/subdomain/subdomain-do.ts";
export { UserDO } from "./actors/user/user-do.ts";
export { WalletDO } from "./actors/wallet/wallet-do.ts";

import { apiRoutes } from "./router/routes/index.ts";

const app = createApp(apiRoutes);

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    await runScheduledJobs(controller, env);
  },
} satisfies ExportedHandler<Env>;
