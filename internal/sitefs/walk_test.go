package sitefs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tree(t *testing.T, files map[string]string, links map[string]string) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for name, body := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range links {
		p := filepath.Join(root, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(strings.ReplaceAll(target, "ROOT", root), p); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestWalk(t *testing.T) {
	root := tree(t, map[string]string{
		"root/index.html":        "home",
		"root/a/b.txt":           "b",
		"root/.env":              "KEY=1",
		"root/.well-known/x.txt": "x",
		"root/drafts/d.html":     "draft",
		"root/private/p.txt":     "p",
		"root/id_rsa":            "key",
		"root/static.toml":       "root = '.'",
		"outside.txt":            "outside",
	}, map[string]string{
		"in.txt":     "a/b.txt",
		"abs-in.txt": "ROOT/a/b.txt",
		"adir":       "a",
		"env.txt":    ".env",
		"out.txt":    "../outside.txt",
		"abs-out":    "/etc/passwd",
		"loop":       "loop",
		"up":         ".",
		"dangling":   "nowhere",
		"pre":        "drafts",
		"priv":       "private/p.txt",
		"private/q":  "p.txt",
		"key":        "id_rsa",
		"chain1":     "chain2",
		"chain2":     "a/../a/b.txt",
	})
	rule, err := NewRule(RuleOptions{Hide: []string{"static.toml"}, HideGlobs: []string{"/drafts/**"}, Protect: []string{"/private/**"}})
	if err != nil {
		t.Fatal(err)
	}
	secret := func(name string, _ []byte) string {
		if strings.HasSuffix(name, "id_rsa") {
			return "an SSH private key"
		}
		return ""
	}
	tr, err := Walk(root, rule, WalkOptions{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{
		"index.html": "index.html", "a/b.txt": "a/b.txt", ".well-known/x.txt": ".well-known/x.txt",
		"in.txt": "a/b.txt", "abs-in.txt": "a/b.txt", "adir/b.txt": "a/b.txt", "chain1": "a/b.txt", "chain2": "a/b.txt",
		"private/p.txt": "private/p.txt", "private/q": "private/p.txt",
	}
	for name, target := range served {
		f := tr.Files[name]
		if f == nil || f.Target != target {
			t.Errorf("%s: %+v, want served from %s", name, f, target)
		}
	}
	if len(tr.Files) != len(served) {
		t.Errorf("served %v, want exactly %v", tr.Names(), served)
	}
	if !tr.Files["private/q"].Protected || tr.Files["a/b.txt"].Protected {
		t.Error("protection follows the file's path")
	}
	why := map[string]string{}
	for _, e := range tr.Excluded {
		why[e.Name] = e.Reason
	}
	for name, reason := range map[string]string{
		"env.txt":       "a link to .env, which is never served (a dotfile or dot-directory)",
		"out.txt":       "a link that leaves the site root",
		"abs-out":       "a link that leaves the site root",
		"loop":          "a link loop",
		"up":            "a link loop (a directory linked inside itself)",
		"dangling":      "a link to nothing (dangling)",
		"pre":           "a link to drafts, which is never served (hidden by hide = /drafts/**)",
		"priv":          "a link to the protected private/p.txt from a path basic auth does not protect",
		"key":           "looks like an SSH private key",
		"id_rsa":        "looks like an SSH private key",
		"drafts/d.html": "hidden by hide = /drafts/**",
	} {
		if why[name] != reason {
			t.Errorf("%s: excluded for %q, want %q", name, why[name], reason)
		}
	}
	if got := tr.Secrets(); len(got) != 2 {
		t.Errorf("secrets %v, want id_rsa and key", got)
	}
}

func TestRuleRefuses(t *testing.T) {
	rule, _ := NewRule(RuleOptions{Hide: []string{"static.toml"}})
	for name, refused := range map[string]bool{
		"index.html": false, ".well-known/a": false, "a/.well-known/b": true, ".env": true, "a/.git/x": true,
		"static.toml": true, "a/static.toml": false, "a/../b": true, "a//b": true, ".": false,
	} {
		if got := rule.Refuses(name) != ""; got != refused {
			t.Errorf("Refuses(%q) = %q", name, rule.Refuses(name))
		}
	}
}
