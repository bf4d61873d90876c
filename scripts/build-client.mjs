// Builds what the static pages need and the repository does not keep: the client SDK as one
// browser module (public/client/troupe.js), the example creations copied from examples/
// into public/examples/ (an example with a main.tsx, written in React, is bundled into its
// main.js), and the API reference renderer of /docs (public/vendor/scalar/).
// Wrangler runs this before `wrangler dev` and `wrangler deploy` (wrangler.jsonc "build"), so
// pages always use the current SDK.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

await build({
  entryPoints: [join(root, "src/client/index.ts")],
  outfile: join(root, "public/client/troupe.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  sourcemap: true,
  logLevel: "warning",
});

const examples = join(root, "examples");
const served = join(root, "public/examples");
// Built aside (git-ignored, same disk) and swapped in at the end: a running `wrangler dev`
// reruns this on every change under its watch_dir, and pages loading meanwhile should not
// find their files missing for the time a bundle takes.
const staging = join(root, `node_modules/.cache/build-client/examples-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
if (existsSync(examples)) {
  mkdirSync(staging, { recursive: true });
  for (const entry of readdirSync(examples, { withFileTypes: true })) {
    // The index page (/examples/) and one folder per example; READMEs stay in the repository.
    if (entry.isFile() && entry.name === "index.html") {
      cpSync(join(examples, entry.name), join(staging, entry.name));
      continue;
    }
    if (!entry.isDirectory()) continue;
    const name = entry.name;
    mkdirSync(join(staging, name), { recursive: true });
    // TypeScript sources (and declaration files) are bundled below, not served.
    cpSync(join(examples, name), join(staging, name), {
      recursive: true,
      filter: (source) => !/(README\.md|\.tsx?)$/.test(source),
    });
    const entryPoint = join(examples, name, "main.tsx");
    if (existsSync(entryPoint)) await bundleExample(entryPoint, join(staging, name, "main.js"));
  }
}
rmSync(served, { recursive: true, force: true });
if (existsSync(staging)) renameSync(staging, served);

/** One browser module with React and everything it imports: the pages' CSP allows scripts
 * from this origin only, so nothing is loaded from a CDN. */
async function bundleExample(entryPoint, outfile) {
  await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    minify: true,
    sourcemap: true,
    logLevel: "warning",
  });
}

// The API reference renderer of /docs (src/router/docs-page.ts): Scalar's self-contained
// browser bundle and its stylesheet, from the pinned @scalar/api-reference devDependency,
// served from this origin so the page works offline. The stylesheet is linked rather than
// left to the bundle, which injects it as an inline <style> that the site's CSP refuses.
const scalar = join(root, "node_modules/@scalar/api-reference");
const vendor = join(root, "public/vendor/scalar");
rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
cpSync(join(scalar, "dist/browser/standalone.js"), join(vendor, "standalone.js"));
cpSync(join(scalar, "dist/style.css"), join(vendor, "style.css"));
