package integration

import (
	"strings"
	"testing"
)

// hide = [globs] keeps source maps, drafts and a page private: 404 at every
// URL of the file (its clean URL too), while the rest of the site serves.
func TestCfgHide(t *testing.T) {
	ws, out := cfgBuilt(t, "cfg-hide")
	if !strings.Contains(out, "/**/*.map, /drafts/**, /internal.html") {
		t.Errorf("the build log does not list the hidden globs:\n%s", out)
	}
	srv := launch(t, ws, nil)
	cfgGet(t, srv, cfgReq{path: "/"}, 200, "CFG-HIDE-HOME")
	cfgGet(t, srv, cfgReq{path: "/assets/app.js"}, 200, `console.log("app");`)
	for _, p := range []string{"/assets/app.js.map", "/drafts/next.html", "/drafts/next", "/drafts/", "/internal.html", "/internal"} {
		resp, body := cfgDo(t, srv, cfgReq{path: p})
		if resp.StatusCode != 404 || strings.Contains(body, "SECRET") || !strings.Contains(body, "CFG-HIDE-NOT-FOUND") {
			t.Errorf("GET %s: %d %q, want the 404 page", p, resp.StatusCode, body)
		}
	}
}
