// Platform-wide jobs run by the Worker's cron triggers (wrangler.jsonc "triggers.crons").
// Each cron expression maps to the jobs it runs; one job failing does not stop the others.

import { reconcileCreations } from "./reconcile-creations.ts";
import { reconcileSubdomains } from "./reconcile-subdomains.ts";

type Job = (env: Env) => Promise<unknown>;

export const CRON_JOBS: Record<string, Record<string, Job>> = {
  "*/10 * * * *": {
    "reconcile-creations": reconcileCreations,
    "reconcile-subdomains": reconcileSubdomains,
  },
};

export async function runScheduledJobs(controller: ScheduledController, env: Env): Promise<void> {
  const jobs = CRON_JOBS[controller.cron] ?? {};
  const results = await Promise.allSettled(Object.values(jobs).map((job) => job(env)));
  for (const [index, name] of Object.keys(jobs).entries()) {
    const result = results[index];
    const entry =
      result?.status === "fulfilled"
        ? { level: "info", job: name, cron: controller.cron, result: result.value }
        : { level: "error", job: name, cron: controller.cron, error: String(result?.reason) };
    console.log(JSON.stringify(entry));
  }
  const failed = results.filter((r) => r.status === "rejected").length;
  // Rethrowing marks the invocation failed in Cloudflare's cron metrics.
  if (failed > 0) throw new Error(`${failed} scheduled job(s) failed for "${controller.cron}"`);
}
