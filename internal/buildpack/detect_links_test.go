package buildpack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Detect reads the app's files as hostile input: a package.json or a
// static.toml linked to /dev/zero or out of the app is not read (which would
// eat the builder's memory, or print a platform secret), and the reason says
// so.
func TestDecideLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte(`{"scripts":{"start":"PLATFORM-SECRET"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, link, target string
		pass               bool
		reason             string
	}{
		{"package.json to /dev/zero", "package.json", "/dev/zero", false,
			"package.json (which cannot be read: package.json is a symbolic link that leaves the app directory"},
		{"package.json out of the app", "package.json", outside, false,
			"package.json (which cannot be read: package.json is a symbolic link that leaves the app directory"},
		{"static.toml to /dev/zero", "static.toml", "/dev/zero", true,
			"the build will report them): static.toml is a symbolic link that leaves the app directory"},
		{"static.json out of the app", "static.json", outside, true,
			"the build will report them): static.json is a symbolic link that leaves the app directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(c.target, filepath.Join(dir, c.link)); err != nil {
				t.Fatal(err)
			}
			d := Decide(dir, "")
			if d.Pass != c.pass || !strings.Contains(d.Reason, c.reason) || strings.Contains(d.Reason, "SECRET") {
				t.Fatalf("Decide = %+v; want pass=%v with %q", d, c.pass, c.reason)
			}
		})
	}
}
