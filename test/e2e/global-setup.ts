import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with the benchmarks
import { startDevServer } from "../../scripts/dev-server.mjs";

export default async function setup(project: TestProject) {
  const server = await startDevServer();
  project.provide("baseUrl", server.baseUrl);
  return () => server.stop();
}
