import { inject, it } from "vitest";
it("dump", async () => {
  console.log("INJ", JSON.stringify((inject as any)("fuzzRuns")));
});
