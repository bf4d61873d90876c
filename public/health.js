// Live health indicator for the landing page: polls GET /health and shows the result.
const HEALTH_POLL_INTERVAL_MS = 10_000;
const indicator = document.getElementById("health");

async function checkHealth() {
  try {
    const response = await fetch("/health", { cache: "no-store" });
    const body = await response.json();
    const healthy = response.ok && body.status === "ok";
    indicator.textContent = healthy ? "healthy" : `unhealthy (${response.status})`;
    indicator.className = `health ${healthy ? "health-ok" : "health-down"}`;
  } catch {
    indicator.textContent = "unreachable";
    indicator.className = "health health-down";
  }
}

checkHealth();
setInterval(checkHealth, HEALTH_POLL_INTERVAL_MS);
