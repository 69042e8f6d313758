package buildpack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

func TestHardenRootLogs(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{
		"index.html":    `<script src="/app.js"></script><script src="https://cdn.example/x.js"></script><script src="gone.js"></script>`,
		"app.js":        "1",
		".env":          "KEY=1",
		"deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	t.Setenv(SRIEnv, "")
	tree, err := walkRoot(root, config.Default(), []string{config.FileName})
	if err != nil {
		t.Fatal(err)
	}
	hidden := hardenRoot(root, config.Default(), tree, true, logger{w: &out, debug: true})
	log := out.String()
	if strings.Join(hidden, ",") != "deploy/id_rsa" {
		t.Errorf("hidden = %v, want the private key the server would have sent", hidden)
	}
	for _, want := range []string{
		"Subresource Integrity: added to 1 script and stylesheet tags in 1 of 1 pages (sri = false in static.toml turns it off)",
		"index.html: /app.js",
		`not added: index.html: "https://cdn.example/x.js": another site's file`,
		`WARNING: no integrity for index.html: "gone.js": no such file in the site (/gone.js)`,
		"WARNING: the site root holds 2 files that look like secrets",
		".env: an environment file (.env). Not served",
		"deploy/id_rsa: an SSH private key (id_rsa). Not served: hidden by the build",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}

	out.Reset()
	t.Setenv(SRIEnv, "false")
	hardenRoot(root, config.Default(), tree, true, logger{w: &out})
	if !strings.Contains(out.String(), "Subresource Integrity: off (sri = false in static.toml, or BP_STATIC_SRI=false)") {
		t.Errorf("BP_STATIC_SRI=false: %s", out.String())
	}
}
