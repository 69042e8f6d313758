package integration

import (
	"net/http"
	"strings"
	"testing"
)

// Building the same app again reuses the server layer, and the site still
// serves.
func TestRebuildReusesServerLayer(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	detect(t, ws)
	first := build(t, ws)
	if strings.Contains(first, "Reusing") {
		t.Errorf("the first build claims to reuse a layer:\n%s", first)
	}

	detect(t, ws)
	second := build(t, ws)
	if !strings.Contains(second, "Reusing") {
		t.Errorf("the second build does not say it reuses the server layer (no \"Reusing\"):\n%s", second)
	}
	for _, line := range strings.Split(second, "\n") {
		if strings.Contains(line, "Reusing") && !strings.Contains(strings.ToLower(line), "server") {
			t.Errorf("a Reusing line does not name the server layer: %q", line)
		}
	}

	srv := launch(t, ws, nil)
	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "PLAIN-SITE-HOME")
	checkDefaultHeaders(t, "GET / after a rebuild", resp.Header)
}
