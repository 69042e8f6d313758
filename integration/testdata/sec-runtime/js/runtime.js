// What styling libraries do at run time (emotion, styled-components, Angular,
// mermaid, MathJax): insert <style> elements, set style attributes, write
// markup with style=, use the CSSOM; and an icon as a data: URL.
const results = {};
function color(id) { return getComputedStyle(document.getElementById(id)).color; }

const style = document.createElement("style");
style.textContent = "#elem { color: rgb(1, 2, 3); }";
document.head.appendChild(style);
const empty = document.createElement("style"); // emotion's "speedy" mode
document.head.appendChild(empty);
empty.sheet.insertRule("#rule { color: rgb(4, 5, 6); }", 0);
results.elem = color("elem") === "rgb(1, 2, 3)";
results.rule = color("rule") === "rgb(4, 5, 6)";

document.getElementById("attr").setAttribute("style", "color: rgb(7, 8, 9)");
results.attr = color("attr") === "rgb(7, 8, 9)";
document.getElementById("markup").innerHTML = '<span id="inner" style="color: rgb(10, 11, 12)">markup</span>';
results.markup = color("inner") === "rgb(10, 11, 12)";
document.getElementById("cssom").style.color = "rgb(13, 14, 15)";
results.cssom = color("cssom") === "rgb(13, 14, 15)";

const img = new Image();
img.alt = "";
img.src = "data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/%3E";
const iconLoaded = new Promise((resolve) => { img.onload = () => resolve(true); img.onerror = () => resolve(false); });
document.body.appendChild(img);

Promise.all([iconLoaded, document.fonts.load('16px "Inlined"')]).then(([icon, fonts]) => {
  results.icon = icon;
  results.font = fonts.length === 1;
  const failed = Object.keys(results).filter((k) => !results[k]);
  document.getElementById("result").textContent = failed.length === 0 ? "SEC-RUNTIME-OK" : "FAILED: " + failed.join(", ");
  if (failed.length === 0) document.documentElement.dataset.scriptRan = "yes";
});
