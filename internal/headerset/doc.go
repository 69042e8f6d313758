// Package headerset computes the complete response header set of each
// served file once, at start: the site's security headers, the page's own
// policy, every matching [headers] table in order, removals.
package headerset
