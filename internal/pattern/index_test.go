package pattern

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// linearFirst is the naive matcher the index must agree with: try every
// route in order.
func linearFirst(routes []*Route, path string) (int, map[string]string) {
	for i, r := range routes {
		if vals, ok := r.Match(path); ok {
			return i, vals
		}
	}
	return -1, nil
}

func linearAll(routes []*Route, path string) []int {
	var out []int
	for i, r := range routes {
		if _, ok := r.Match(path); ok {
			out = append(out, i)
		}
	}
	return out
}

func compileAll(t testing.TB, patterns []string) []*Route {
	t.Helper()
	var routes []*Route
	for _, p := range patterns {
		r, err := CompileRoute(p)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, r)
	}
	return routes
}

func TestIndexKeepsFileOrder(t *testing.T) {
	routes := compileAll(t, []string{
		"/*",            // 0: everything, first
		"/blog/:slug",   // 1
		"/blog/*",       // 2
		"/",             // 3
		"/blog/2024/x",  // 4
		"/:lang/*.html", // 5
		"/docs/",        // 6
		"/docs/v*",      // 7
	})
	ix := NewIndex(routes)
	for _, path := range []string{"/", "/blog", "/blog/a", "/blog/2024/x", "/fr/a.html", "/docs/", "/docs/v2", "/nothing/here", "/docs"} {
		var got []int
		ix.Each(path, func(i int, _ map[string]string) bool { got = append(got, i); return false })
		if want := linearAll(routes, path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: index yields %v, a linear scan %v", path, got, want)
		}
	}
	// Without the catch-all first, the first match is the specific one.
	ix = NewIndex(routes[1:])
	if i, vals := ix.First("/blog/hello"); i != 0 || vals["slug"] != "hello" {
		t.Errorf("First(/blog/hello) = %d %v", i, vals)
	}
	if i, _ := ix.First("/elsewhere"); i != -1 {
		t.Errorf("First(/elsewhere) = %d", i)
	}
}

// FuzzIndexMatchesLinearScan: for any rule set and path, the index yields
// exactly the routes a linear scan matches, in the same order (so the
// first match, with its captures, is the same).
func FuzzIndexMatchesLinearScan(f *testing.F) {
	f.Add("/a/*\n/a/:b\n/\n/*.html\n/a/b", "/a/b")
	f.Add("/:x/y\n/x/y\n/x/*", "/x/y")
	f.Add("/a//b\n/a/\n/*", "/a//b")
	f.Add("/docs/v*\n/docs/*-*.md", "/docs/v1-2.md")
	f.Fuzz(func(t *testing.T, rules, path string) {
		var routes []*Route
		for _, p := range strings.Split(rules, "\n") {
			if r, err := CompileRoute(p); err == nil {
				routes = append(routes, r)
			}
		}
		if len(routes) == 0 {
			return
		}
		ix := NewIndex(routes)
		var got []int
		ix.Each(path, func(i int, _ map[string]string) bool { got = append(got, i); return false })
		if want := linearAll(routes, path); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q on %q: index yields %v, a linear scan %v", rules, path, got, want)
		}
		gi, gv := ix.First(path)
		wi, wv := linearFirst(routes, path)
		if gi != wi || !reflect.DeepEqual(gv, wv) {
			t.Fatalf("%q on %q: First = %d %v, linear %d %v", rules, path, gi, gv, wi, wv)
		}
	})
}

// benchRoutes is a redirect file of 5,000 lines as a site migrated from
// another host has them: mostly one old page to one new page, some
// sections with placeholders and splats.
func benchRoutes(b *testing.B) []*Route {
	var patterns []string
	for i := range 5000 {
		switch i % 10 {
		case 0:
			patterns = append(patterns, fmt.Sprintf("/section-%d/*", i))
		case 1:
			patterns = append(patterns, fmt.Sprintf("/blog/%d/:slug", i))
		default:
			patterns = append(patterns, fmt.Sprintf("/old/page-%d", i))
		}
	}
	return compileAll(b, patterns)
}

var benchPaths = []string{"/old/page-4998", "/blog/4991/hello", "/section-4990/a/b", "/not/redirected", "/"}

func BenchmarkIndex5000Rules(b *testing.B) {
	ix := NewIndex(benchRoutes(b))
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		ix.First(benchPaths[n%len(benchPaths)])
	}
}

// The linear scan, for comparison (go test -bench 5000Rules).
func BenchmarkLinear5000Rules(b *testing.B) {
	routes := benchRoutes(b)
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		linearFirst(routes, benchPaths[n%len(benchPaths)])
	}
}
