document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("js-status").textContent = "JavaScript ran under a strict Content-Security-Policy.";
});
