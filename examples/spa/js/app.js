// A client-side router: the server answers every route with index.html
// (static.toml: fallback), and this script renders the view for the path.
// It is an external file because the default Content-Security-Policy allows
// no inline script.
const routes = [
  [/^\/$/, () => "Home"],
  [/^\/about$/, () => "About this app"],
  [/^\/users\/(\d+)$/, (id) => `User ${id}`],
];

function render() {
  const view = document.getElementById("view");
  for (const [re, page] of routes) {
    const m = location.pathname.match(re);
    if (m) {
      view.textContent = page(...m.slice(1));
      return;
    }
  }
  view.textContent = "Not found";
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-link]");
  if (a) {
    e.preventDefault();
    history.pushState(null, "", a.getAttribute("href"));
    render();
  }
});
window.addEventListener("popstate", render);
render();
