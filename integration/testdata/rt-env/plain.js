// The JSON form, for code that fetches its settings.
fetch("/.well-known/hardstatic/env.json")
  .then((r) => r.json())
  .then((env) => {
    document.getElementById("greeting").textContent = env.PUBLIC_GREETING;
    document.documentElement.dataset.scriptRan = "yes";
  });
