package migrate

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// FirebaseJSON is Firebase's project configuration file; its hosting
// object configures the site.
const FirebaseJSON = "firebase.json"

var firebaseHostingKeys = map[string]jsonKind{
	"public": jsonString, "cleanUrls": jsonBool, "trailingSlash": jsonBool, "ignore": jsonArray,
	"redirects": jsonArray, "rewrites": jsonArray, "headers": jsonArray, "i18n": jsonObject,
}

// ParseFirebaseJSON maps firebase.json's hosting (public, cleanUrls,
// trailingSlash, redirects, rewrites, headers, i18n) onto static.toml.
func ParseFirebaseJSON(name string, data []byte) (*Imported, error) {
	h, doc, err := readHostJSON(name, data)
	if err != nil {
		return nil, err
	}
	top := h.fields(doc, nil, map[string]jsonKind{"hosting": jsonObject}, "the key")
	hosting := top["hosting"]
	if hosting == nil {
		if v, ok := fieldOf(doc, "hosting"); ok && v.kind == jsonArray {
			h.errs = nil
			h.errorAt(v, []string{"hosting"}, fmt.Sprintf("hosting lists %d sites; an image serves one", len(v.items)), "copy the site's object into a firebase.json of its own, as \"hosting\": {...}, and migrate that")
		} else if !ok {
			h.errorAt(doc, nil, "no hosting object", `firebase.json configures a site in "hosting": {"public": "public", ...}`)
		}
		return nil, config.JoinErrors(h.errs)
	}
	key := []string{"hosting"}
	f := h.fields(hosting, key, firebaseHostingKeys, "hosting key")
	cfg := h.m.out.Config
	cfg.CleanURLs = f["cleanUrls"] != nil && f["cleanUrls"].b
	if !cfg.CleanURLs {
		h.m.note("cleanUrls: without it Firebase serves about.html only at /about.html; clean_urls = false keeps that (this server's default, true, serves it at /about).")
	}
	switch v := f["trailingSlash"]; {
	case v == nil:
		h.m.note(`trailingSlash: Firebase, without it, redirects only directories to the URL ending in /; here trailing_slash = "auto" does that and also redirects pages that end in / to the URL without.`)
	case v.b:
		cfg.TrailingSlash = "always"
	default:
		cfg.TrailingSlash = "never"
	}
	if v := f["public"]; v != nil {
		if msg := config.CheckRelativeDir(v.str); msg != "" {
			h.errorAt(v, config.At(key, "public"), msg, `name a directory inside the project, e.g. "public"`)
		} else {
			cfg.Root = path.Clean(v.str)
		}
	}
	if v := f["ignore"]; v != nil {
		h.firebaseIgnore(v, config.At(key, "ignore"))
	}
	for i, r := range h.objects(f["redirects"], config.At(key, "redirects")) {
		h.firebaseRule(r, config.At(key, "redirects", fmt.Sprint(i)), true)
	}
	for i, r := range h.objects(f["rewrites"], config.At(key, "rewrites")) {
		h.firebaseRule(r, config.At(key, "rewrites", fmt.Sprint(i)), false)
	}
	for i, r := range h.objects(f["headers"], config.At(key, "headers")) {
		h.firebaseHeaders(r, config.At(key, "headers", fmt.Sprint(i)))
	}
	if v := f["i18n"]; v != nil {
		root := "/localized-files"
		if r, ok := fieldOf(v, "root"); ok && r.kind == jsonString {
			root = r.str
		}
		h.m.note("NOT MIGRATED: %s:%d: i18n serves %s/<language>_<country>/ files first by Accept-Language and country; here write a rewrite per language, e.g. [[rewrites]] from = \"/*\", to = \"%s/fr/:splat\", language = [\"fr\"], force = true.",
			h.name, h.line(v), root, strings.TrimSuffix(root, "/"))
	}
	return h.result()
}

// firebaseIgnore maps ignore globs (files not deployed) to hide globs.
func (h *jsonHost) firebaseIgnore(v *jsonValue, key []string) {
	cfg := h.m.out.Config
	for i, item := range v.items {
		if !h.expect(item, config.At(key, fmt.Sprint(i)), jsonString) {
			continue
		}
		g := item.str
		switch g {
		case "firebase.json", "**/.*", "**/node_modules/**":
			continue // never served anyway, or outside the public directory
		}
		cfg.Hide = append(cfg.Hide, "/"+strings.TrimPrefix(g, "/"))
	}
	if len(cfg.Hide) > 0 {
		h.m.note("ignore: the files Firebase did not deploy are in the image here, but never served (hide = [...]).")
	}
}

var firebaseRuleKeys = map[string]jsonKind{
	"source": jsonString, "regex": jsonString, "destination": jsonString, "type": jsonNumber,
	"dynamicLinks": jsonBool, "tagged": jsonBool,
}

// firebaseRule maps one redirect or rewrite. Firebase applies redirects
// before files and rewrites when no file matches, as static.toml does.
func (h *jsonHost) firebaseRule(v *jsonValue, key []string, redirect bool) {
	line := h.line(v)
	_, function := fieldOf(v, "function") // a name, or {"functionId": ...}
	_, run := fieldOf(v, "run")
	if function || run {
		h.m.refuse(line, "a rewrite to a Cloud Function or Cloud Run service", "serve the service at its own URL and proxy to it: [[proxies]] from = \"/api/*\", to = \"https://...\"")
		return
	}
	f := h.fields(v, key, firebaseRuleKeys, "a rule's key")
	switch {
	case f["dynamicLinks"] != nil:
		h.m.refuse(line, "a rewrite to Firebase Dynamic Links", "Dynamic Links are a Firebase service; redirect to their URLs instead")
		return
	case f["regex"] != nil:
		h.m.refuse(line, fmt.Sprintf("a regex source (%s)", f["regex"].str), "write a glob source with :name segments, e.g. \"/blog/:post*\"")
		return
	}
	from, renames, why := firebaseRoute(str(f["source"]))
	if why != "" {
		h.m.refuse(line, why, "write the source as /path, /path/:name or /path/** (or /path/:rest*)")
		return
	}
	r := Rule{Line: line, From: from, To: vercelTarget(str(f["destination"]), renames), Force: true, Status: 200}
	if redirect {
		r.Status = 301
		if t := f["type"]; t != nil {
			n, err := strconv.Atoi(t.num.String())
			if err != nil || !redirectStatus(n) {
				h.errorAt(t, config.At(key, "type"), fmt.Sprintf("%s is not a redirect status", t.num), "use 301 or 302")
				return
			}
			r.Status = n
		}
	} else {
		r.Force = false
	}
	h.m.rule(r, r.Status)
}

// firebaseHeaders maps one headers entry: its source is a glob, whose
// @(a|b) and {a,b} alternatives become a table each.
func (h *jsonHost) firebaseHeaders(v *jsonValue, key []string) {
	f := h.fields(v, key, map[string]jsonKind{"source": jsonString, "regex": jsonString, "headers": jsonArray}, "a headers entry's key")
	line := h.line(v)
	if f["regex"] != nil {
		h.m.refuse(line, fmt.Sprintf("a regex source (%s)", f["regex"].str), "write a glob source, e.g. \"**/*.@(js|css)\"")
		return
	}
	src := str(f["source"])
	globs, why := expandAlternatives("/" + strings.TrimPrefix(src, "/"))
	if why != "" {
		h.m.refuse(line, why, "write the source as a glob of * , ** and @(a|b) alternatives")
		return
	}
	lines := h.headerList(f["headers"], config.At(key, "headers"))
	for _, g := range globs {
		if strings.ContainsAny(g, "!+@()[]{}\\") {
			h.m.refuse(line, fmt.Sprintf("the source %q uses glob syntax a path glob cannot express", src), "write it with *, ** and @(a|b) alternatives")
			return
		}
		if headers, ok := h.m.blockHeaders(HeaderBlock{Line: line, Path: g, Set: lines}, nil); ok {
			h.m.headerRule(line, g, headers)
		}
	}
}

var alternative = regexp.MustCompile(`[@]?\(([^()]*)\)|\{([^{}]*)\}`)

// expandAlternatives expands the first @(a|b) or {a,b} of glob, and the
// rest recursively: "/**/*.@(jpg|png)" is "/**/*.jpg" and "/**/*.png".
func expandAlternatives(glob string) ([]string, string) {
	loc := alternative.FindStringSubmatchIndex(glob)
	if loc == nil {
		return []string{glob}, ""
	}
	var parts []string
	if loc[2] >= 0 {
		parts = strings.Split(glob[loc[2]:loc[3]], "|")
	} else {
		parts = strings.Split(glob[loc[4]:loc[5]], ",")
	}
	if loc[0] > 0 && strings.ContainsAny(glob[loc[0]-1:loc[0]], "!+?*") && glob[loc[0]] == '(' {
		return nil, fmt.Sprintf("the source %q uses an extglob negation or repetition", glob)
	}
	var out []string
	for _, p := range parts {
		more, why := expandAlternatives(glob[:loc[0]] + p + glob[loc[1]:])
		if why != "" {
			return nil, why
		}
		out = append(out, more...)
		if len(out) > 64 {
			return nil, fmt.Sprintf("the source %q expands to more than 64 globs", glob)
		}
	}
	return out, ""
}

// firebaseRoute turns a Firebase source glob into a route pattern: a
// final ** or :name* is *, :name stays, a * segment is a placeholder.
func firebaseRoute(src string) (string, map[string]string, string) {
	if !strings.HasPrefix(src, "/") {
		src = "/" + src
	}
	segs := strings.Split(src[1:], "/")
	renames := map[string]string{}
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "**" && last:
			segs[i] = "*"
		case last && strings.HasPrefix(seg, ":") && strings.HasSuffix(seg, "*") && vercelName.MatchString(strings.TrimSuffix(seg, "*")):
			renames[strings.TrimSuffix(seg[1:], "*")] = "splat"
			segs[i] = "*"
		case vercelName.MatchString(seg):
		case seg == "*":
			segs[i] = ":segment" + strconv.Itoa(i+1)
		case strings.ContainsAny(seg, "*?!@+(){}[]\\:"):
			return "", nil, fmt.Sprintf("source %q uses glob syntax (%s) that a path pattern cannot express", src, seg)
		}
	}
	return "/" + strings.Join(segs, "/"), renames, ""
}
