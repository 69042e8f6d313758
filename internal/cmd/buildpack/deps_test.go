package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The detect/build binary runs in every build: it must not link the server
// (Caddy and its dependencies made it 50 MB instead of 7 MB once, through
// one shared constant).
func TestBuildpackDoesNotLinkTheServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/caddyserver/") || strings.HasSuffix(pkg, "/internal/staticsite") ||
			strings.HasSuffix(pkg, "/internal/caddyconf") || strings.HasSuffix(pkg, "/internal/launch") {
			t.Errorf("the buildpack binary links %s (a server package); move what the build needs out of it", pkg)
		}
	}
}
