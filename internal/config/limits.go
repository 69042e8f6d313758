package config

import (
	"errors"
	"fmt"
	"strings"
)

// Bounds on a configuration file, so that a hostile or broken one is a
// quick, clear error instead of minutes of work or gigabytes of memory.
const (
	// MaxFileSize is the largest static.toml or static.json read (and the
	// largest package.json detect reads).
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of tables, arrays and dotted keys; the
	// schema itself needs at most 4.
	MaxDepth = 16
	// MaxKeys is the most keys (table entries, at any depth) a file may hold.
	MaxKeys = 100_000
	// MaxHeaderRules is the most header globs ([headers."glob"] tables, or
	// static.json headers): every response is matched against each.
	MaxHeaderRules = 1000
	// MaxErrors is the most problems reported for one file.
	MaxErrors = 25
)

var TooManyHeaderRules = fmt.Sprintf("more than %d header globs", MaxHeaderRules)

const HeaderRulesHint = "every response is matched against each glob: merge them, e.g. one \"/assets/**\" for all assets"

func TooLargeError(name string, size int) error {
	return &Error{File: name, Msg: fmt.Sprintf("the file is %d bytes, more than the %d MiB a configuration file may have", size, MaxFileSize>>20),
		Hint: "a configuration this large is a mistake: shorten it"}
}

func TooDeepError(name string, At Position) error {
	return &Error{File: name, Pos: At, Msg: fmt.Sprintf("nested more than %d levels deep (tables, arrays or dotted keys)", MaxDepth),
		Hint: "no key of the configuration is nested this deep; flatten it"}
}

// JoinErrors joins at most MaxErrors errors and says how many more there
// were.
func JoinErrors(errs []error) error {
	if len(errs) <= MaxErrors {
		return errors.Join(errs...)
	}
	kept := append(errs[:MaxErrors:MaxErrors], fmt.Errorf("... and %d more problems (fix these first)", len(errs)-MaxErrors))
	return errors.Join(kept...)
}

// tomlDepth returns where src first nests deeper than MaxDepth, counting
// brackets ([ and {) and the dots of dotted keys outside strings and
// comments, and false when it never does. It reads the text before the TOML
// parser does, because the parser's cost grows much faster than the depth.
func tomlDepth(src string) (Position, bool) {
	line, lineStart := 1, 0
	brackets, dots := 0, 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '\n':
			line, lineStart, dots = line+1, i+1, 0
			continue
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
			continue
		case '"', '\'':
			end := skipString(src, i)
			line += strings.Count(src[i:end], "\n")
			if nl := strings.LastIndexByte(src[i:end], '\n'); nl >= 0 {
				lineStart = i + nl + 1
			}
			i = end - 1
			continue
		case '[', '{':
			brackets++
		case ']', '}':
			brackets--
		case '.':
			dots++
		case '=', ',':
			dots = 0
		}
		if c == '{' {
			dots = 0
		}
		if brackets+dots > MaxDepth {
			return Position{Line: line, Col: i - lineStart + 1}, true
		}
	}
	return Position{}, false
}

// skipString returns the index just past the string that starts at src[i]
// (basic or literal, single- or multi-line), or len(src) if it never ends.
func skipString(src string, i int) int {
	q := src[i]
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		delim := src[i : i+3]
		for j := i + 3; j < len(src); j++ {
			if q == '"' && src[j] == '\\' {
				j++
				continue
			}
			if strings.HasPrefix(src[j:], delim) {
				// A closing delimiter may be followed by up to two more quotes.
				k := j + 3
				for k < len(src) && k < j+5 && src[k] == q {
					k++
				}
				return k
			}
		}
		return len(src)
	}
	for j := i + 1; j < len(src); j++ {
		switch {
		case q == '"' && src[j] == '\\':
			j++
		case src[j] == q:
			return j + 1
		case src[j] == '\n': // unterminated: the parser reports it
			return j
		}
	}
	return len(src)
}

// CheckTOMLDepth refuses a TOML document nested deeper than MaxDepth, as
// Parse does, before a TOML parser reads it (for the other hosts' TOML
// files, such as netlify.toml).
func CheckTOMLDepth(name string, data []byte) error {
	if at, deep := tomlDepth(string(data)); deep {
		return TooDeepError(name, at)
	}
	return nil
}
