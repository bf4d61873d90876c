// `npm run --silent token -- --sub <id> [--email <e>] [--admin] [--ttl <seconds>]`
// Prints a development user JWT (HS256 with AUTH_JWT_SECRET) and nothing else.
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { fail, readDevVars } from "./dev-vars.mjs";

const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    email: { type: "string" },
    admin: { type: "boolean", default: false },
    ttl: { type: "string", default: String(DEV_TOKEN_TTL_SECONDS) },
  },
});
if (!values.sub)
  fail("usage: npm run --silent token -- --sub <id> [--email <e>] [--admin] [--ttl <s>]");
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds");

const { AUTH_JWT_SECRET, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE } = readDevVars();
if (!AUTH_JWT_SECRET) fail("AUTH_JWT_SECRET is not set in .dev.vars or the environment");

const claims = {};
if (values.email) claims.email = values.email;
if (values.admin) claims.role = "admin";
const jwt = new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`);
if (AUTH_JWT_ISSUER) jwt.setIssuer(AUTH_JWT_ISSUER);
if (AUTH_JWT_AUDIENCE) jwt.setAudience(AUTH_JWT_AUDIENCE);
process.stdout.write(`${await jwt.sign(new TextEncoder().encode(AUTH_JWT_SECRET))}\n`);
