// Runs under the default Content-Security-Policy: no inline code, no eval.
document.getElementById("status").textContent = "The script ran.";
document.documentElement.dataset.scriptRan = "yes";
