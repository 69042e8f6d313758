package staticsite

import (
	"fmt"
	"sync"

	"github.com/hardstatic/buildpack/internal/pattern"
)

// ruleSet is an ordered list of rules (redirects or rewrites): a route
// pattern each, indexed by its literal leading segments, and conditions.
type ruleSet struct {
	index *pattern.Index
	conds []*conditions
}

// newRuleSet compiles the froms and conditions of rules, in order.
func newRuleSet(kind string, froms []string, conds []Conditions) (*ruleSet, error) {
	routes := make([]*pattern.Route, len(froms))
	s := &ruleSet{conds: make([]*conditions, len(froms))}
	for i, from := range froms {
		route, err := pattern.CompileRoute(from)
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", kind, i+1, err)
		}
		routes[i] = route
		if s.conds[i], err = compileConditions(conds[i]); err != nil {
			return nil, fmt.Errorf("%s %d: %w", kind, i+1, err)
		}
	}
	s.index = pattern.NewIndex(routes)
	return s, nil
}

// first calls try, in file order, with every rule whose path pattern and
// conditions match the request path and that skip does not rule out,
// with the captures of the pattern and of the conditions, until try
// returns true; it returns that rule's position, or -1.
func (s *ruleSet) first(q *request, path string, skip func(i int) bool, try func(i int, vals map[string]string) bool) int {
	if s == nil {
		return -1
	}
	found := -1
	s.index.Each(path, func(i int, vals map[string]string) bool {
		if skip != nil && skip(i) {
			return false
		}
		if !s.conds[i].holds(q, vals) || !try(i, vals) {
			return false
		}
		found = i
		return true
	})
	return found
}

// sites are the provisioned static_site handlers by root, so that the
// redirects in front can ask the same lookup whether a file is served at
// a path (redirects with force = false).
var sites sync.Map // root -> *Handler

func registerSite(h *Handler) { sites.Store(h.Root, h) }

func unregisterSite(h *Handler) { sites.CompareAndDelete(h.Root, h) }

func siteFor(root string) *Handler {
	if h, ok := sites.Load(root); ok {
		return h.(*Handler)
	}
	return nil
}
