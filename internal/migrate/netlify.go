package migrate

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hardstatic/buildpack/internal/config"
)

// NetlifyTOML is Netlify's configuration file, at the repository's base.
const NetlifyTOML = "netlify.toml"

// netlifyConfig is the part of netlify.toml that says how a site is
// served; every other table is named in a note.
type netlifyConfig struct {
	Build struct {
		Base    string `toml:"base"`
		Publish string `toml:"publish"`
	} `toml:"build"`
	Redirects []struct {
		From       string              `toml:"from"`
		To         string              `toml:"to"`
		Status     int                 `toml:"status"`
		Force      bool                `toml:"force"`
		Query      map[string]string   `toml:"query"`
		Conditions map[string][]string `toml:"conditions"`
		Headers    map[string]string   `toml:"headers"`
		Signed     string              `toml:"signed"`
	} `toml:"redirects"`
	Headers []struct {
		For    string         `toml:"for"`
		Values map[string]any `toml:"values"`
	} `toml:"headers"`
}

// ParseNetlifyTOML maps netlify.toml's publish directory, [[redirects]]
// and [[headers]] onto static.toml.
func ParseNetlifyTOML(name string, data []byte) (*Imported, error) {
	if len(data) > config.MaxFileSize {
		return nil, config.TooLargeError(name, len(data))
	}
	if err := config.CheckTOMLDepth(name, data); err != nil {
		return nil, err
	}
	var nc netlifyConfig
	md, err := toml.Decode(string(data), &nc)
	if err != nil {
		return nil, config.SyntaxError(name, err)
	}
	if n := len(md.Keys()); n > config.MaxKeys {
		return nil, &config.Error{File: name, Msg: fmt.Sprintf("the file has %d keys, more than %d", n, config.MaxKeys), Hint: "a configuration this large is a mistake: shorten it"}
	}
	for i, l := range lines(data) {
		if n, what := config.BadChar(l); n > 0 {
			return nil, &config.Error{File: name, Pos: config.Position{Line: i + 1, Col: n}, Msg: fmt.Sprintf("character %d of the line is %s", n, what), Hint: config.BadCharHint}
		}
	}
	m := newMapper(name)
	m.netlifyOtherKeys(md)
	if p := nc.Build.Publish; p != "" {
		root := path.Clean(path.Join(nc.Build.Base, p))
		if msg := config.CheckRelativeDir(root); msg != "" {
			return nil, &config.Error{File: name, Key: "build.publish", Msg: msg, Hint: `publish a directory inside the repository, e.g. publish = "dist"`}
		}
		m.out.Config.Root = root
	}
	redirectLines := tableLines(data, "redirects")
	for i, r := range nc.Redirects {
		rule := Rule{Line: at(redirectLines, i), From: r.From, To: r.To, Status: r.Status, Force: r.Force, Headers: r.Headers}
		keys := make([]string, 0, len(r.Query))
		for k := range r.Query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			rule.Query = append(rule.Query, Param{k, r.Query[k]})
		}
		ckeys := make([]string, 0, len(r.Conditions))
		for k := range r.Conditions {
			ckeys = append(ckeys, k)
		}
		sort.Strings(ckeys)
		for _, k := range ckeys {
			rule.Conditions = append(rule.Conditions, Param{k, strings.Join(r.Conditions[k], ",")})
		}
		if r.Signed != "" {
			rule.Conditions = append(rule.Conditions, Param{"Sign", r.Signed})
		}
		if r.From == "" || r.To == "" {
			m.refuse(rule.Line, "a [[redirects]] entry needs from and to", `write from = "/old" and to = "/new"`)
			continue
		}
		if len(r.Headers) > 0 && (r.Status != 200 || !isURL(r.To)) {
			m.refuse(rule.Line, "headers on a rule that is not a proxy (200 to https://...)", "headers are sent to a proxied origin only; set response headers in [[headers]]")
			continue
		}
		m.rule(rule, config.DefaultRedirectStatus)
		if (r.Status == 0 || redirectStatus(r.Status)) && !r.Force {
			m.noteOnce("shadow", "%s: a redirect without force = true (line %d) applies only when no file is served at its path, as on Netlify (force = false here too).", name, rule.Line)
		}
	}
	headerLines := tableLines(data, "headers")
	for i, h := range nc.Headers {
		line := at(headerLines, i)
		blk := HeaderBlock{Line: line, Path: h.For}
		names := make([]string, 0, len(h.Values))
		for k := range h.Values {
			names = append(names, k)
		}
		sort.Strings(names)
		ok := true
		for _, k := range names {
			vals, good := headerValues(h.Values[k])
			if !good || !config.ValidToken(k) {
				m.refuse(line, fmt.Sprintf("header %q: the value must be a string or a list of strings", k), `write values = { X-Frame-Options = "DENY" }`)
				ok = false
				break
			}
			for _, v := range vals {
				blk.Set = append(blk.Set, HeaderLine{Line: line, Name: k, Value: v})
			}
		}
		if !ok {
			continue
		}
		glob, gnames, why := netlifyGlob(h.For)
		if why != "" {
			m.refuse(line, why, `write for = "/*" or a path of the site`)
			continue
		}
		if headers, ok := m.blockHeaders(blk, gnames); ok {
			m.headerRule(line, glob, headers)
		}
	}
	return m.finish(), nil
}

// headerValues accepts a string (a multi-line string is several values, as
// Netlify reads it) or a list of strings.
func headerValues(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		var out []string
		for _, l := range strings.Split(x, "\n") {
			// Lines of a multi-line value may end with the comma that
			// joined them: the values are joined with ", " again.
			if l = strings.TrimSuffix(strings.TrimSpace(l), ","); l != "" {
				out = append(out, l)
			}
		}
		return out, len(out) > 0
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, len(out) > 0
	}
	return nil, false
}

// netlifyOtherKeys notes every key of netlify.toml that is not about
// serving the site (build commands, functions, plugins, contexts): it is
// left out, never silently.
func (m *mapper) netlifyOtherKeys(md toml.MetaData) {
	for _, k := range md.Keys() {
		switch {
		case k[0] == "redirects" || k[0] == "headers":
		case k[0] == "build" && (len(k) == 1 || k[1] == "base" || k[1] == "publish"):
		case k[0] == "build":
			m.noteOnce("build."+k[1], "NOT MIGRATED: %s: build.%s is not about serving the site and was left out (run the build before this buildpack, e.g. with a Node buildpack).", m.file, k[1])
		default:
			m.noteOnce("key."+k[0], "NOT MIGRATED: %s: %s has no equivalent here and was left out.", m.file, k[0])
		}
	}
}

// tableLines lists the lines (1-based) of each [[name]] header of a TOML
// file, so that a problem of the Nth entry names its line.
func tableLines(data []byte, name string) []int {
	var out []int
	for i, l := range lines(data) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[[") {
			inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(l[2:], "]]", 2)[0]), "]"))
			if inner == name {
				out = append(out, i+1)
			}
		}
	}
	return out
}

func at(list []int, i int) int {
	if i < len(list) {
		return list[i]
	}
	return 0
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }
