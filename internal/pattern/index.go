package pattern

import "strings"

// Index finds the routes that can match a path without trying every one:
// each route is filed under its literal leading segments in a trie, so a
// request is matched only against the routes filed along its own path
// (those whose literal segments it starts with), still in list order. With
// thousands of redirects such as "/old/page-N", a request tries a handful.
type Index struct {
	routes []*Route
	root   node
}

type node struct {
	rules    []int // routes whose literal prefix ends here, ascending
	children map[string]*node
}

// NewIndex files routes; Each yields their positions in this list.
func NewIndex(routes []*Route) *Index {
	ix := &Index{routes: routes}
	for i, r := range routes {
		n := &ix.root
		for _, seg := range r.literal {
			if n.children == nil {
				n.children = map[string]*node{}
			}
			child := n.children[seg]
			if child == nil {
				child = &node{}
				n.children[seg] = child
			}
			n = child
		}
		n.rules = append(n.rules, i)
	}
	return ix
}

// Len is the number of routes.
func (ix *Index) Len() int { return len(ix.routes) }

// Each calls fn, in ascending order, with the position of every route
// that matches path and its captures, until fn returns true. Routes filed
// elsewhere cannot match and are not tried.
func (ix *Index) Each(path string, fn func(i int, vals map[string]string) bool) {
	if !strings.HasPrefix(path, "/") {
		return
	}
	var stack [8][]int
	lists := stack[:0]
	n := &ix.root
	if len(n.rules) > 0 {
		lists = append(lists, n.rules)
	}
	rest := path[1:]
	for n.children != nil {
		seg, tail, more := strings.Cut(rest, "/")
		child := n.children[seg]
		if child == nil {
			break
		}
		n = child
		if len(n.rules) > 0 {
			lists = append(lists, n.rules)
		}
		if !more {
			break
		}
		rest = tail
	}
	// Merge the ascending lists, smallest position first.
	for {
		best := -1
		for k, l := range lists {
			if len(l) > 0 && (best < 0 || l[0] < lists[best][0]) {
				best = k
			}
		}
		if best < 0 {
			return
		}
		i := lists[best][0]
		lists[best] = lists[best][1:]
		if vals, ok := ix.routes[i].Match(path); ok && fn(i, vals) {
			return
		}
	}
}

// First is the position of the first route that matches path and its
// captures, or -1.
func (ix *Index) First(path string) (int, map[string]string) {
	found, captured := -1, map[string]string(nil)
	ix.Each(path, func(i int, vals map[string]string) bool {
		found, captured = i, vals
		return true
	})
	return found, captured
}
