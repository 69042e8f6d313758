package lifecycle

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCopyTreeKeepsSymlinksAndDotfiles(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, ".git", "objects"), 0o755))
	must(os.WriteFile(filepath.Join(src, ".env"), []byte("x"), 0o600))
	must(os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("../outside", filepath.Join(src, "rel")))
	must(os.Symlink("/etc/passwd", filepath.Join(src, "abs")))
	must(os.Symlink(".env", filepath.Join(src, ".git", "dangling-ok")))

	must(CopyTree(src, dst))

	for link, want := range map[string]string{"rel": "../outside", "abs": "/etc/passwd", ".git/dangling-ok": ".env"} {
		got, err := os.Readlink(filepath.Join(dst, link))
		if err != nil || got != want {
			t.Errorf("%s: readlink = %q, %v; want %q", link, got, err, want)
		}
	}
	for file, perm := range map[string]os.FileMode{".env": 0o600, "run.sh": 0o755} {
		if info, err := os.Stat(filepath.Join(dst, file)); err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != perm {
			t.Errorf("%s: mode %v, want %v", file, info.Mode().Perm(), perm)
		}
	}
	if info, err := os.Stat(filepath.Join(dst, ".git", "objects")); err != nil || !info.IsDir() {
		t.Errorf(".git/objects not copied: %v", err)
	}
}

func TestMkdirsIgnoresUmask(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(base, "a"), 0o700))
	must(mkdirs(base, dir))
	for _, d := range []string{filepath.Join(base, "a"), dir} {
		if info, err := os.Stat(d); err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", d, info.Mode().Perm())
		}
	}
}
