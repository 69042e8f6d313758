package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Verdict is a short judgement of one security header.
type Verdict struct {
	Grade  string // ok, weak, missing
	Header string
	Note   string
}

// Verdicts judges the headers the Observatory grades, in its order.
func Verdicts(headers []Header) []Verdict {
	get := func(name string) string {
		for _, h := range headers {
			if strings.EqualFold(h.Name, name) {
				return strings.TrimSpace(h.Value)
			}
		}
		return ""
	}
	csp := get("Content-Security-Policy")
	return []Verdict{
		cspVerdict(csp, get("Content-Security-Policy-Report-Only")),
		hstsVerdict(get("Strict-Transport-Security")),
		xctoVerdict(get("X-Content-Type-Options")),
		framingVerdict(get("X-Frame-Options"), csp),
		referrerVerdict(get("Referrer-Policy")),
		corpVerdict(get("Cross-Origin-Resource-Policy")),
	}
}

func directives(csp string) map[string][]string {
	d := map[string][]string{}
	for part := range strings.SplitSeq(csp, ";") {
		f := strings.Fields(strings.ToLower(part))
		if len(f) > 0 {
			if _, dup := d[f[0]]; !dup { // browsers use the first
				d[f[0]] = f[1:]
			}
		}
	}
	return d
}

func cspVerdict(csp, reportOnly string) Verdict {
	v := Verdict{Header: "Content-Security-Policy"}
	if csp == "" {
		v.Grade = "missing"
		v.Note = "nothing limits where scripts load from"
		if reportOnly != "" {
			v.Grade, v.Note = "weak", "only Content-Security-Policy-Report-Only: violations are reported, not blocked (csp.report_only)"
		}
		return v
	}
	d := directives(csp)
	scripts, ok := d["script-src"]
	if !ok {
		scripts, ok = d["default-src"]
	}
	if !ok {
		return Verdict{"weak", v.Header, "no script-src or default-src: scripts load from anywhere"}
	}
	var problems []string
	for _, s := range scripts {
		switch s {
		case "'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:":
			problems = append(problems, s)
		}
	}
	if len(problems) > 0 {
		return Verdict{"weak", v.Header, "scripts allow " + strings.Join(problems, " ")}
	}
	if objs, ok := d["object-src"]; ok && !isNone(objs) {
		return Verdict{"weak", v.Header, "object-src is not 'none'"}
	}
	if _, ok := d["object-src"]; !ok {
		if !isNone(d["default-src"]) {
			return Verdict{"weak", v.Header, "plugins (object-src) are not blocked: add object-src 'none' or default-src 'none'"}
		}
	}
	return Verdict{"ok", v.Header, "enforced; no inline or eval'd script, no scheme-wide sources"}
}

func hstsVerdict(h string) Verdict {
	v := Verdict{Header: "Strict-Transport-Security"}
	if h == "" {
		return Verdict{"missing", v.Header, "browsers may use plain http"}
	}
	for part := range strings.SplitSeq(strings.ToLower(h), ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == "max-age" {
			n, err := strconv.Atoi(strings.Trim(val, `"`))
			switch {
			case err != nil:
				return Verdict{"weak", v.Header, "max-age is not a number"}
			case n < 15768000:
				return Verdict{"weak", v.Header, fmt.Sprintf("max-age=%d is under six months (15768000)", n)}
			}
			return Verdict{"ok", v.Header, fmt.Sprintf("max-age=%d (%d days)", n, n/86400)}
		}
	}
	return Verdict{"weak", v.Header, "no max-age"}
}

func xctoVerdict(h string) Verdict {
	v := Verdict{Header: "X-Content-Type-Options"}
	switch {
	case h == "":
		return Verdict{"missing", v.Header, "browsers may sniff content types"}
	case strings.EqualFold(h, "nosniff"):
		return Verdict{"ok", v.Header, "nosniff"}
	}
	return Verdict{"weak", v.Header, fmt.Sprintf("%q is not nosniff", h)}
}

func framingVerdict(xfo, csp string) Verdict {
	v := Verdict{Header: "X-Frame-Options"}
	if fa, ok := directives(csp)["frame-ancestors"]; ok {
		if strings.Join(fa, " ") == "*" {
			return Verdict{"weak", v.Header, "CSP frame-ancestors * lets any site frame the pages"}
		}
		return Verdict{"ok", v.Header, "CSP frame-ancestors " + strings.Join(fa, " ") + " (X-Frame-Options: " + orNone(xfo) + ")"}
	}
	switch strings.ToUpper(xfo) {
	case "DENY", "SAMEORIGIN":
		return Verdict{"ok", v.Header, strings.ToUpper(xfo)}
	case "":
		return Verdict{"missing", v.Header, "any site can frame the pages (clickjacking)"}
	}
	return Verdict{"weak", v.Header, fmt.Sprintf("%q is not DENY or SAMEORIGIN", xfo)}
}

func referrerVerdict(h string) Verdict {
	v := Verdict{Header: "Referrer-Policy"}
	if h == "" {
		return Verdict{"missing", v.Header, "browsers fall back to their default"}
	}
	// The last policy a browser understands wins.
	parts := strings.Split(h, ",")
	last := strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))
	switch last {
	case "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin":
		return Verdict{"ok", v.Header, last}
	}
	return Verdict{"weak", v.Header, last + " sends full URLs, or sends them over http"}
}

func corpVerdict(h string) Verdict {
	v := Verdict{Header: "Cross-Origin-Resource-Policy"}
	switch strings.ToLower(h) {
	case "same-origin", "same-site":
		return Verdict{"ok", v.Header, strings.ToLower(h)}
	case "cross-origin":
		return Verdict{"weak", v.Header, "cross-origin: any site can embed the files"}
	case "":
		return Verdict{"missing", v.Header, "other sites can embed the files"}
	}
	return Verdict{"weak", v.Header, fmt.Sprintf("%q is not a valid value", h)}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func isNone(sources []string) bool { return len(sources) == 1 && sources[0] == "'none'" }

// Overlay returns base with the headers of set replacing (or, when new,
// following) those of the same name; an empty value stays, meaning removed.
func Overlay(base, set []Header) []Header {
	out := append([]Header(nil), base...)
	for _, h := range set {
		found := false
		for i := range out {
			if strings.EqualFold(out[i].Name, h.Name) {
				out[i].Value, found = h.Value, true
			}
		}
		if !found {
			out = append(out, h)
		}
	}
	return out
}
