package caddyconf

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden translates the static.toml of every integration fixture (and
// no configuration at all) and compares the Caddy JSON with
// testdata/golden/<fixture>.json. After an intended change, run
// `go test ./internal/caddyconf -run TestGolden -update` and review the diff.
func TestGolden(t *testing.T) {
	fixtures, err := filepath.Glob("../../integration/testdata/*/static.toml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{"no-config": nil}
	for _, f := range fixtures {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(filepath.Dir(f))] = data
	}
	seen := map[string]bool{}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			if src != nil {
				if cfg, err = config.Parse(config.FileName, src); err != nil {
					return // a fixture of a broken configuration: its errors are tested elsewhere
				}
			}
			seen[name] = true
			headers := policy.SiteHeaders(cfg.CSP)
			site := Site{Listen: ":8080", Root: "/workspace/" + name, Hide: []string{config.FileName, config.StaticJSONName},
				Headers: headers, PolicyHeader: policy.SiteCSP(headers).Name, FilesIndex: "/layers/site/files.tsv", Config: cfg}
			if cfg.BasicAuth != nil {
				site.Users = []Account{{Username: "alice", Password: "$2a$10$" + strings.Repeat("x", 53)}}
			}
			got, err := Build(site)
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			}
			file := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no golden file (run with -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the Caddy JSON for %s differs from %s (run with -update and review the diff):\n%s", name, file, got)
			}
		})
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, g := range golden {
		if name := strings.TrimSuffix(filepath.Base(g), ".json"); !seen[name] && !*update {
			t.Errorf("%s has no fixture any more: delete it", g)
		}
	}
}
