// `npm run --silent sign -- <METHOD> <PATH> [BODY]`
// Prints the two service-signature headers for one request, signed with the first of
// SERVICE_SECRETS, exactly as the Worker verifies them (src/shared/service-signature.ts).
import { signRequest } from "../src/shared/service-signature.ts";
import { fail, readDevVars } from "./dev-vars.mjs";

const [method, pathAndQuery, body = ""] = process.argv.slice(2);
if (!method || !pathAndQuery?.startsWith("/")) {
  fail("usage: npm run --silent sign -- <METHOD> <PATH?QUERY> [BODY]");
}
const [secret] = (readDevVars().SERVICE_SECRETS ?? "").split(",").map((s) => s.trim());
if (!secret) fail("SERVICE_SECRETS is not set in .dev.vars or the environment");

const { timestamp, signature } = await signRequest(secret, { method, pathAndQuery, body });
process.stdout.write(`troupe-timestamp: ${timestamp}\ntroupe-signature: ${signature}\n`);
