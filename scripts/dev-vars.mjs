// Reads the development secrets: .dev.vars when present, else the committed example, so
// `npm run token` and `npm run sign` agree with the server `npm start` runs.
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const DEV_VARS_PATH = `${root}.dev.vars`;
export const DEV_VARS_EXAMPLE_PATH = `${root}.dev.vars.example`;

/** Creates .dev.vars from the example when missing; returns true when it did. */
export function ensureDevVars() {
  if (existsSync(DEV_VARS_PATH)) return false;
  copyFileSync(DEV_VARS_EXAMPLE_PATH, DEV_VARS_PATH);
  return true;
}

function parseVars(path) {
  const vars = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/** Names the example defines that an older .dev.vars lacks. */
export function missingDevVars() {
  if (!existsSync(DEV_VARS_PATH)) return [];
  const present = parseVars(DEV_VARS_PATH);
  return Object.keys(parseVars(DEV_VARS_EXAMPLE_PATH)).filter((name) => !(name in present));
}

/** Appends the example's lines for names an older .dev.vars lacks (a secret a newer troupe
 *  needs, such as SECRETS_ENCRYPTION_KEY); answers the names added. */
export function addMissingDevVars() {
  const missing = missingDevVars();
  if (missing.length === 0) return [];
  const example = parseVars(DEV_VARS_EXAMPLE_PATH);
  const lines = missing.map((name) => `${name}=${example[name]}`).join("\n");
  appendFileSync(DEV_VARS_PATH, `\n# Added from .dev.vars.example by npm start.\n${lines}\n`);
  return missing;
}

export function readDevVars() {
  const vars = parseVars(existsSync(DEV_VARS_PATH) ? DEV_VARS_PATH : DEV_VARS_EXAMPLE_PATH);
  // Values in the environment win, as they do for wrangler.
  for (const name of Object.keys(vars)) if (process.env[name]) vars[name] = process.env[name];
  return vars;
}

export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
