// What an app does: one script tag in index.html, then read window.__ENV.
const env = window.__ENV;
document.getElementById("greeting").textContent = env.PUBLIC_GREETING;
document.getElementById("api").textContent = env.PUBLIC_API_ORIGIN;
document.documentElement.dataset.scriptRan = "yes";
