package staticsite

import (
	"net/http"
	"strings"
)

// canonicalize replaces the request path by its canonical form, the one
// every later matcher and handler sees (routing, basic auth, hide rules,
// redirects, rewrites, the proxies' upstream path); static_front calls it
// first on every request. A path with "." or ".." segments (raw or
// percent-encoded), a backslash or a control character, which no browser
// sends, gets 400 and false. Empty segments collapse ("//a" is "/a").
func canonicalize(w http.ResponseWriter, r *http.Request) bool {
	p, ok := CanonicalPath(r.URL.Path)
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("400 bad request: the path has a . or .. segment, a backslash or a control character\n"))
		return false
	}
	// RawPath goes: the decoded path is the only form, so an encoded
	// slash (%2F) is a separator for every later handler alike.
	r.URL.Path, r.URL.RawPath = p, ""
	return true
}

// CanonicalPath returns the canonical form of a decoded request path, or
// false when the path must be refused.
func CanonicalPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	var b strings.Builder
	b.Grow(len(p))
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", false
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return "/", true
	}
	if strings.HasSuffix(p, "/") {
		b.WriteByte('/')
	}
	return b.String(), true
}
