package integration

// Invalid static.toml files fail the real build at the line and column of
// the key. The files are written into the workspace by the test, so that no
// invalid static.toml is kept in testdata/.

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCfgValidationErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		toml   string
		expect []string // each must appear in the build output, in this order
	}{
		{
			name: "glob without a leading slash",
			toml: "# Cache the assets.\n" +
				"[headers.\"assets/**\"]\n" +
				"Cache-Control = \"no-store\"\n",
			expect: []string{`static.toml:2:1: key "headers.assets/**": glob "assets/**" must start with /`},
		},
		{
			name: "redirect status that is not a redirect",
			toml: "[[redirects]]\n" +
				"from = \"/a\"\n" +
				"to = \"/b\"\n" +
				"\n" +
				"[[redirects]]\n" +
				"  from = \"/c\"\n" +
				"  to = \"/d\"\n" +
				"  status = 200\n",
			expect: []string{`static.toml:8:3: key "redirects[2].status": 200 is not a redirect status`, "301, 302, 303, 307 or 308"},
		},
		{
			name: "redirect to itself",
			toml: "[[redirects]]\n" +
				"from = \"/loop\"\n" +
				"to = \"/loop\"\n",
			expect: []string{`static.toml:3:1: key "redirects[1].to": redirects "/loop" to itself`},
		},
		{
			name: "unknown key in an array of tables",
			toml: "clean_urls = true\n" +
				"\n" +
				"[[redirects]]\n" +
				"form = \"/old\"\n" +
				"to = \"/new\"\n",
			expect: []string{`static.toml:4:1: key "redirects[1].form": unknown key (did you mean "from"?)`},
		},
		{
			name: "unknown key in a table",
			toml: "[basic_auth]\n" +
				"realm = \"Team\"\n" +
				"user_env = \"TEAM_USERS\"\n",
			expect: []string{`static.toml:3:1: key "basic_auth.user_env": unknown key (did you mean "users_env"?)`},
		},
		{
			name: "every problem is reported",
			toml: "trailing_slash = \"sometimes\"\n" +
				"\n" +
				"[[redirects]]\n" +
				"from = \"/x\"\n" +
				"to = \"/y\"\n" +
				"status = 999\n",
			expect: []string{
				`static.toml:1:1: key "trailing_slash": "sometimes" is not one of auto, always, never`,
				`static.toml:6:1: key "redirects[1].status": 999 is not a redirect status`,
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t, "cfg-invalid")
			writeFile(t, filepath.Join(ws.AppDir, "static.toml"), c.toml)
			detect(t, ws)
			out := buildFails(t, ws)
			rest := out
			for _, want := range c.expect {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Errorf("build output lacks %q (after the previous expectations):\n%s", want, out)
					break
				}
				rest = rest[i+len(want):]
			}
			if regexp.MustCompile(`(?i)panic|goroutine \d`).MatchString(out) {
				t.Errorf("the build panicked:\n%s", out)
			}
			procs, err := ws.Processes()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range procs {
				if p.Type == "web" {
					t.Errorf("a failed build declared a web process: %+v", p)
				}
			}
		})
	}
}
