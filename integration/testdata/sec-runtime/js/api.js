// Calls another origin only when clicked: the build lists it as a
// connect-src candidate and adds nothing.
document.getElementById("go").addEventListener("click", () => {
  fetch("https://api.example.test/v1/items").then((r) => r.json());
});
