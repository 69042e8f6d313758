package config

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// BadChar finds the first character that no configuration value (nor key,
// nor environment variable substituted into one) may hold: control
// characters (C0 including line breaks, but not tab; DEL; C1), the bidirectional
// overrides and isolates, and invisible format characters. Values become
// response headers, URLs and lines of the build log; these characters would
// let a value forge a header or a log line, or read differently from what
// it does. It returns the character's index (in characters, from 1) and a
// description, or 0 and "".
func BadChar(s string) (int, string) {
	n := 0
	for _, r := range s {
		n++
		if what := badRune(r); what != "" {
			return n, fmt.Sprintf("%s (U+%04X)", what, r)
		}
	}
	return 0, ""
}

func badRune(r rune) string {
	switch {
	case r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return "a control character"
	case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c:
		return "a bidirectional control character"
	case r >= 0x200b && r <= 0x200d || r == 0x2060 || r == 0xfeff || r == utf8.RuneError:
		return "an invisible or invalid character"
	}
	return ""
}

const BadCharHint = "remove it: configuration values are plain, visible text on one line"

// checkText reports every key and string value of a TOML document that
// holds a character BadChar refuses, at the key's position.
func checkText(name, src string, pos positions) error {
	var doc map[string]any
	if _, err := toml.Decode(src, &doc); err != nil {
		return nil // reported by the caller's own decode
	}
	var errs []*Error
	report := func(path []string, what string, n int, desc string) {
		errs = append(errs, &Error{File: name, Pos: nearest(pos, path), Key: displayKey(path),
			Msg: fmt.Sprintf("the %s holds %s at character %d", what, desc, n), Hint: BadCharHint})
	}
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch v := v.(type) {
		case string:
			if n, desc := BadChar(v); desc != "" {
				report(path, "value", n, desc)
			}
		case []any:
			for _, e := range v {
				walk(path, e)
			}
		case []map[string]any:
			for i, e := range v {
				walk(At(path, "["+strconv.Itoa(i)+"]"), e)
			}
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if n, desc := BadChar(k); desc != "" {
					report(At(path, k), "key", n, desc)
					continue
				}
				walk(At(path, k), v[k])
			}
		}
	}
	walk(nil, doc)
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return JoinErrors(out)
}

// nearest is the position of path, or of its closest ancestor that has one
// (keys inside inline tables have none of their own).
func nearest(pos positions, path []string) Position {
	for n := len(path); n > 0; n-- {
		if p := pos.At(path[:n]); p.Line > 0 {
			return p
		}
	}
	return Position{}
}
