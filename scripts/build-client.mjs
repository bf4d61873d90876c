// Builds what the static pages need and the repository does not keep: the client SDK as one
// browser module (public/client/troupe.js), the example creations copied from examples/
// into public/examples/ and the dashboard pages from dashboard/ into public/dashboard/ (a
// page with a main.tsx, written in React, is bundled into its main.js, and the stylesheets it
// imports into its main.css), and the API reference renderer of /docs (public/vendor/scalar/).
// Wrangler runs this before `wrangler dev` and `wrangler deploy` (wrangler.jsonc "build"), so
// pages always use the current SDK.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
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

await buildPages(join(root, "examples"), join(root, "public/examples"));
// The usage dashboard (/dashboard/usage/), bundled with uPlot and its stylesheet.
await buildPages(join(root, "dashboard"), join(root, "public/dashboard"));

/** Copies a folder of pages (an index.html and one folder per page) to where it is served,
 * bundling each page's main.tsx. */
async function buildPages(source, served) {
  // Built aside (git-ignored, same disk) and swapped in at the end: a running `wrangler dev`
  // reruns this on every change under its watch_dir, and pages loading meanwhile should not
  // find their files missing for the time a bundle takes.
  const staging = join(root, `node_modules/.cache/build-client/${basename(source)}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  if (existsSync(source)) {
    mkdirSync(staging, { recursive: true });
    for (const entry of readdirSync(source, { withFileTypes: true })) {
      // The index page and one folder per page; READMEs stay in the repository.
      if (entry.isFile() && entry.name === "index.html") {
        cpSync(join(source, entry.name), join(staging, entry.name));
        continue;
      }
      if (!entry.isDirectory()) continue;
      mkdirSync(join(staging, entry.name), { recursive: true });
      // TypeScript sources (and declaration files) are bundled below, not served.
      cpSync(join(source, entry.name), join(staging, entry.name), {
        recursive: true,
        filter: (file) => !/(README\.md|\.tsx?)$/.test(file),
      });
      const entryPoint = join(source, entry.name, "main.tsx");
      if (existsSync(entryPoint))
        await bundlePage(entryPoint, join(staging, entry.name, "main.js"));
    }
  }
  rmSync(served, { recursive: true, force: true });
  if (existsSync(staging)) renameSync(staging, served);
}

/** One browser module with React and everything it imports: the pages' CSP allows scripts
 * from this origin only, so nothing is loaded from a CDN. A stylesheet the page imports (as
 * the dashboard imports uPlot's) becomes main.css beside it, for the page to link: the CSP
 * refuses styles injected inline. */
async function bundlePage(entryPoint, outfile) {
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
