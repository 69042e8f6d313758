package appfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	app := t.TempDir()
	outside := t.TempDir()
	write := func(dir, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(app, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(app, "static.toml", `root = "public"`)
	write(app, "conf/real.json", `{"root": "dist"}`)
	write(outside, "secret", "PLATFORM-SECRET")
	write(app, "big.json", strings.Repeat(" ", 101))
	link("conf/real.json", "inside.json")
	link(filepath.Join(outside, "secret"), "outside.json")
	link("../"+filepath.Base(outside)+"/secret", "relative-out.json")
	link("/dev/zero", "zero.toml")
	link("missing.json", "dangling.json")
	if err := os.Mkdir(filepath.Join(app, "dir.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(app, "fifo.json"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, want, err string
	}{
		{"static.toml", `root = "public"`, ""},
		{"inside.json", `{"root": "dist"}`, ""},
		{"outside.json", "", "outside.json is a symbolic link that leaves the app directory"},
		{"relative-out.json", "", "relative-out.json is a symbolic link that leaves the app directory"},
		{"zero.toml", "", "zero.toml is a symbolic link that leaves the app directory"},
		{"dangling.json", "", "dangling.json is a symbolic link that leaves the app directory or points at nothing"},
		{"dir.json", "", "dir.json is not a regular file (a directory)"},
		{"fifo.json", "", "fifo.json is not a regular file (a named pipe)"},
		{"big.json", "", "big.json is larger than 100 bytes"},
	} {
		got, err := ReadFile(app, c.name, 100)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err == "" && string(got) != c.want:
			t.Errorf("%s: read %q, want %q", c.name, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.err)
		case c.err != "" && (got != nil || strings.Contains(err.Error(), "PLATFORM-SECRET")):
			t.Errorf("%s: leaked %q / %v", c.name, got, err)
		}
	}
	if _, err := ReadFile(app, "absent.json", 100); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent.json: %v, want fs.ErrNotExist", err)
	}
}
