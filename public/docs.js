// Mounts Scalar's API reference (public/vendor/scalar/standalone.js, copied from npm by
// scripts/build-client.mjs) on /docs. Nothing here may reach another host: no default fonts
// (fonts.scalar.com), no telemetry, no AI agent or MCP panels, no request proxy.
(() => {
  const mount = document.getElementById("reference");
  if (!mount || !window.Scalar) return;

  // The error catalogue below the reference is plain HTML. A link to one entry
  // (/docs#error-<CODE>, the `type` of every problem) must land on it once the reference above
  // it has rendered and pushed it down the page.
  const showErrorEntry = () => {
    let id;
    try {
      id = decodeURIComponent(window.location.hash.slice(1));
    } catch {
      return; // a malformed fragment names no entry
    }
    if (!id.startsWith("error-") && id !== "errors") return;
    document.getElementById(id)?.scrollIntoView({ block: "start" });
  };

  window.Scalar.createApiReference(mount, {
    url: mount.dataset.openapiUrl,
    // The document names no server: its examples call the origin that serves it.
    servers: [{ url: window.location.origin }],
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    // The request client's editor injects inline styles, which the page's CSP refuses.
    hideClientButton: true,
    hideTestRequestButton: true,
    documentDownloadType: "direct",
    // Colours come from the linked stylesheet: an injected theme <style> would be refused.
    theme: "none",
    onLoaded: () => requestAnimationFrame(showErrorEntry),
  });
  window.addEventListener("hashchange", showErrorEntry);
})();
