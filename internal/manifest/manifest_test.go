package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/policy"
)

// What Write stores, Read gives back, with the file table and the policy
// header named by their own keys.
func TestWriteRead(t *testing.T) {
	cfg, err := config.Parse(config.FileName, []byte("canonical_host = \"${HOST}\"\n[headers.\"/assets/**\"]\nCache-Control = \"public, max-age=60\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := Manifest{
		Root: "public", Hide: []string{"static.toml"}, Headers: policy.Defaults(), PolicyHeader: "Content-Security-Policy",
		FilesIndex: "/layers/site/files.tsv", Files: &Files{Count: 2, Bytes: 10, Summary: "2 files"}, Source: config.FileName,
		Config: cfg, PagePolicies: map[string]string{"a.html": "default-src 'self'"},
	}
	dir := t.TempDir()
	file, err := Write(dir, m)
	if err != nil || file != filepath.Join(dir, FileName) {
		t.Fatalf("Write = %q, %v", file, err)
	}
	got, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if got.Root != m.Root || got.PolicyHeader != m.PolicyHeader || got.FilesIndex != m.FilesIndex || *got.Files != *m.Files ||
		!reflect.DeepEqual(got.Headers, m.Headers) || !reflect.DeepEqual(got.PagePolicies, m.PagePolicies) ||
		got.Config.CanonicalHost != "${HOST}" || !reflect.DeepEqual(got.Config.HeaderRules, cfg.HeaderRules) {
		t.Errorf("read back %+v\nwant %+v", got, m)
	}

	var raw struct {
		PolicyHeader string `json:"policy_header"`
		FilesIndex   string `json:"files_index"`
		Config       map[string]json.RawMessage
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.PolicyHeader != "Content-Security-Policy" || raw.FilesIndex != "/layers/site/files.tsv" {
		t.Errorf("policy_header %q, files_index %q", raw.PolicyHeader, raw.FilesIndex)
	}
	if _, ok := raw.Config["header_rules"]; !ok {
		t.Errorf("the config's header rules are not under header_rules:\n%s", data)
	}
	if _, ok := raw.Config["headers"]; ok {
		t.Errorf("the config has a headers key, which in static.toml means the glob map:\n%s", data)
	}
}

func TestReadDefaultsAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := Read(write("bare.json", `{"root": "."}`))
	if err != nil || m.Config == nil || !reflect.DeepEqual(m.Config, config.Default()) {
		t.Errorf("a manifest without config: %+v, %v; want the defaults", m.Config, err)
	}
	for _, c := range []struct{ file, want string }{
		{write("noroot.json", `{"config": {}}`), "names no root"},
		{write("bad.json", `{"root": `), "decoding the site manifest"},
		{filepath.Join(dir, "missing.json"), "reading the site manifest"},
	} {
		if _, err := Read(c.file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read(%s) = %v, want %q", filepath.Base(c.file), err, c.want)
		}
	}
}
