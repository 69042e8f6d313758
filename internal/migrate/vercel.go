package migrate

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// VercelJSON is Vercel's project configuration file.
const VercelJSON = "vercel.json"

var vercelKeys = map[string]jsonKind{
	"cleanUrls": jsonBool, "trailingSlash": jsonBool, "outputDirectory": jsonString,
	"redirects": jsonArray, "rewrites": jsonArray, "headers": jsonArray,
}

// ParseVercelJSON maps vercel.json's cleanUrls, trailingSlash,
// outputDirectory, redirects, rewrites and headers (with has/missing) onto
// static.toml.
func ParseVercelJSON(name string, data []byte) (*Imported, error) {
	h, doc, err := readHostJSON(name, data)
	if err != nil {
		return nil, err
	}
	f := h.fields(doc, nil, vercelKeys, "the key")
	cfg := h.m.out.Config
	// Vercel serves /about.html at /about only with cleanUrls: true.
	cfg.CleanURLs = f["cleanUrls"] != nil && f["cleanUrls"].b
	if cfg.CleanURLs {
		h.m.note("cleanUrls: /about.html redirects to /about with 301 here (Vercel uses 308).")
	} else {
		h.m.note("cleanUrls: without it Vercel serves about.html only at /about.html; clean_urls = false keeps that (this server's default, true, serves it at /about).")
	}
	switch v := f["trailingSlash"]; {
	case v == nil:
		h.m.note(`trailingSlash: Vercel, without it, serves a path with and without a trailing slash alike; here trailing_slash = "auto" redirects directories to the URL ending in / and pages to the one without.`)
	case v.b:
		cfg.TrailingSlash = "always"
	default:
		cfg.TrailingSlash = "never"
	}
	if v := f["outputDirectory"]; v != nil {
		if msg := config.CheckRelativeDir(v.str); msg != "" {
			h.errorAt(v, []string{"outputDirectory"}, msg, `name a directory inside the project, e.g. "dist"`)
		} else {
			cfg.Root = path.Clean(v.str)
		}
	}
	for i, r := range h.objects(f["redirects"], []string{"redirects"}) {
		h.vercelRule(r, []string{"redirects", fmt.Sprint(i)}, true)
	}
	for i, r := range h.objects(f["rewrites"], []string{"rewrites"}) {
		h.vercelRule(r, []string{"rewrites", fmt.Sprint(i)}, false)
	}
	for i, r := range h.objects(f["headers"], []string{"headers"}) {
		h.vercelHeaders(r, []string{"headers", fmt.Sprint(i)})
	}
	return h.result()
}

var vercelRuleKeys = map[string]jsonKind{
	"source": jsonString, "destination": jsonString, "permanent": jsonBool, "statusCode": jsonNumber,
	"has": jsonArray, "missing": jsonArray,
}

// vercelRule maps one redirect or rewrite. Vercel applies redirects before
// the file system and rewrites after it, as static.toml does by default.
func (h *jsonHost) vercelRule(v *jsonValue, key []string, redirect bool) {
	f := h.fields(v, key, vercelRuleKeys, key[0]+" entry's key")
	line := h.line(v)
	from, renames, why := vercelRoute(str(f["source"]))
	if why != "" {
		h.m.refuse(line, why, `write the source with :name segments and a final :path* (or (.*)), e.g. "/blog/:slug" or "/docs/:path*"`)
		return
	}
	to := vercelTarget(str(f["destination"]), renames)
	r := Rule{Line: line, From: from, To: to, Has: h.matches(f["has"], config.At(key, "has")), Missing: h.matches(f["missing"], config.At(key, "missing"))}
	if redirect {
		r.Force = true
		r.Status = 308
		if p := f["permanent"]; p != nil && !p.b {
			r.Status = 307
		}
		if s := f["statusCode"]; s != nil {
			n, err := strconv.Atoi(s.num.String())
			if err != nil || !redirectStatus(n) {
				h.errorAt(s, config.At(key, "statusCode"), fmt.Sprintf("%s is not a redirect status", s.num), "use 301, 302, 303, 307 or 308")
				return
			}
			r.Status = n
		}
	} else {
		r.Status = 200
	}
	h.m.rule(r, r.Status)
}

// vercelHeaders maps one headers entry; its source is a route pattern.
func (h *jsonHost) vercelHeaders(v *jsonValue, key []string) {
	f := h.fields(v, key, map[string]jsonKind{"source": jsonString, "headers": jsonArray, "has": jsonArray, "missing": jsonArray}, "a headers entry's key")
	line := h.line(v)
	if f["has"] != nil || f["missing"] != nil {
		h.m.refuse(line, "headers with has or missing conditions", "response headers here depend on the path only: set them for the paths that need them")
		return
	}
	glob, why := vercelGlob(str(f["source"]))
	if why != "" {
		h.m.refuse(line, why, `write the source with :name segments and a final :path* (or (.*)), e.g. "/assets/(.*)"`)
		return
	}
	blk := HeaderBlock{Line: line, Path: glob, Set: h.headerList(f["headers"], config.At(key, "headers"))}
	if headers, ok := h.m.blockHeaders(blk, nil); ok {
		h.m.headerRule(line, glob, headers)
	}
}

// A Vercel source segment: literal, :name, or a final :name*, :name+,
// :name(.*) or (.*).
var (
	vercelName = regexp.MustCompile(`^:([A-Za-z_][A-Za-z0-9_]*)$`)
	vercelRest = regexp.MustCompile(`^(?::([A-Za-z_][A-Za-z0-9_]*))?(?:\*|\+|\(\.\*\)|\(\.\+\))$`)
)

// vercelRoute turns a Vercel source (path-to-regexp) into a static.toml
// route pattern, returning how captures are renamed (a final :path* is
// :splat here; (.*) is $1), or why it cannot.
func vercelRoute(src string) (route string, renames map[string]string, why string) {
	if !strings.HasPrefix(src, "/") {
		return "", nil, fmt.Sprintf("source %q must start with /", src)
	}
	segs := strings.Split(src[1:], "/")
	renames = map[string]string{}
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case vercelName.MatchString(seg):
		case last && vercelRest.MatchString(seg):
			name := vercelRest.FindStringSubmatch(seg)[1]
			if name == "" {
				name = "$1"
			}
			renames[name] = "splat"
			segs[i] = "*"
		case strings.ContainsAny(seg, ":()*+?{}[]\\"):
			return "", nil, fmt.Sprintf("source %q uses a regular expression or modifier that a path pattern cannot express", src)
		}
	}
	return "/" + strings.Join(segs, "/"), renames, ""
}

// vercelTarget renames captures in a destination: :path* and :path become
// :splat when the source's :path* became *, and $1 too.
func vercelTarget(dst string, renames map[string]string) string {
	for from, to := range renames {
		if from == "$1" {
			dst = strings.ReplaceAll(dst, "$1", ":"+to)
			continue
		}
		dst = regexp.MustCompile(`:`+regexp.QuoteMeta(from)+`(?:[*+]|\b)`).ReplaceAllString(dst, ":"+to)
	}
	return dst
}

// vercelGlob turns a Vercel headers source into a static.toml glob.
func vercelGlob(src string) (string, string) {
	route, _, why := vercelRoute(src)
	if why != "" {
		return "", why
	}
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		switch {
		case seg == "*" && i == len(segs)-1:
			segs[i] = "**"
		case strings.HasPrefix(seg, ":"):
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/"), ""
}
