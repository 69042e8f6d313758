package config

import (
	"fmt"
	"strings"
	"testing"
)

// A 16 KB static.toml of nested inline tables took minutes and hundreds of
// GB of allocation to validate (the key checks were cubic in the depth, the
// TOML parser itself more than quadratic). It is now refused at once, at
// the place where it nests too deep. go test's timeout is the guard: before
// the fix this test ran for minutes.
func TestParseDeepNesting(t *testing.T) {
	const depth = 16 << 10 / 6
	for _, c := range []struct {
		name, src string
		line, col int
	}{
		{"inline tables", "root = \"public\"\nx = " + strings.Repeat("{a = ", depth) + "1" + strings.Repeat("}", depth) + "\n", 2, 5 + 5*MaxDepth},
		{"arrays", "hide = " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n", 1, 8 + MaxDepth},
		{"dotted key", "x" + strings.Repeat(".a", depth) + " = 1\n", 1, 2 + 2*MaxDepth},
		{"table header", "[x" + strings.Repeat(".a", depth) + "]\n", 1, 3 + 2*(MaxDepth-1)},
		{"known table", "[headers]\n\"/a\" = " + strings.Repeat("{a = ", depth) + "1" + strings.Repeat("}", depth) + "\n", 2, 8 + 5*MaxDepth},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(c.src))
			want := (&Error{File: FileName, Pos: Position{c.line, c.col}}).Error()
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "nested more than 16 levels deep") {
				t.Fatalf("error %v, want one starting %q saying it is nested too deep", err, want)
			}
		})
	}
}

// Depth in strings and comments is not nesting, and what the schema needs
// is well within the bound.
func TestParseDepthIgnoresStrings(t *testing.T) {
	deep := strings.Repeat("[{.", 40)
	src := "# " + deep + "\n" +
		"canonical_host = \"" + strings.Repeat(".", 40) + "x\"\n" +
		"hide = ['/" + deep + "', \"\"\"/" + deep + "\n" + deep + "\"\"\"]\n" +
		"[headers.\"/a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\"]\nX-A = \"1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8\"\n" +
		"[[proxies]]\nfrom = \"/api/*\"\nto = \"https://api.example.com/\"\nheaders = { \"X-B\" = \"[[[[{{{{[[[[{{{{[[[[\" }\n"
	if _, err := Parse(FileName, []byte(src)); err != nil && strings.Contains(err.Error(), "nested") {
		t.Fatalf("refused as too deep: %v", err)
	}
}

// Files of a quarter of the size bound, of the shapes that cost most, are validated in
// linear time (go test's timeout is the guard), with at most a few problems
// reported; one byte more is refused with the reason.
func TestParseHostileShapes(t *testing.T) {
	fill := func(unit string) string { // unit with %d, numbered to keep keys distinct
		var b strings.Builder
		for i := 0; b.Len() < MaxFileSize/4; i++ {
			fmt.Fprintf(&b, unit, i)
		}
		return b.String()
	}
	for _, c := range []struct {
		name, src, want string // want: in the error; "" for a valid file
	}{
		{"unknown keys", fill("k%d = 1\n"), "more problems (fix these first)"},
		{"unknown tables", fill("[a%d]\n"), "more problems (fix these first)"},
		{"wide inline table", "x = {" + strings.TrimSuffix(fill("a%d = 1,"), ",") + "}\n", `static.toml:1:1: key "x": unknown key`},
		{"bad globs", "hide = [" + fill("'a%d',") + "]\n", "more problems (fix these first)"},
		{"long array", "hide = [" + fill("'/a%d',") + "]\n", ""},
		{"many redirects", fill("[[redirects]]\nfrom='/a%d'\nto='/b'\n"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(c.src))
			if (err == nil) != (c.want == "") {
				t.Fatalf("error %.300v, want one with %q", err, c.want)
			}
			if err == nil {
				return
			}
			if msg := err.Error(); !strings.Contains(msg, c.want) || len(msg) > 16<<10 {
				t.Errorf("the error is %d bytes long; want at most a few problems, one with %q: %.400s", len(msg), c.want, msg)
			}
		})
	}
	_, err := Parse(FileName, []byte(strings.Repeat(" ", MaxFileSize+1)))
	if err == nil || !strings.Contains(err.Error(), "static.toml: the file is 1048577 bytes, more than the 1 MiB") {
		t.Errorf("oversized file: %v", err)
	}
}
