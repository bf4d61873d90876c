// The bench Worker: the real entry plus raw baselines measured in the same process, so the
// tables compare troupe against the bare platform, not against another machine's numbers.

import worker from "../src/index.ts";

export * from "../src/index.ts";

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    // Baseline: a bare Worker answering JSON with no router, middleware or auth.
    if (pathname === "/__bench/raw") return Response.json({ status: "ok" });
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
