package config

import (
	"strconv"
	"strings"
)

// Position is a 1-based line and column in a configuration file.
type Position struct {
	Line int
	Col  int
}

// positions maps a key path to where the key is written. Elements of arrays of
// tables contribute their index as "[N]" to the path: redirects.[1].from.
//
// The TOML library reports positions only for syntax errors, so this index is
// built from the (already valid) source text: it reads table headers and the
// keys before each "=", skipping over multi-line strings and arrays.
type positions map[string]Position

func pathKey(path []string) string { return strings.Join(path, "\x00") }

// At returns the position of path, or the zero Position when it is unknown.
func (p positions) At(path []string) Position { return p[pathKey(path)] }

// indexPositions scans TOML source text. It never fails: text it cannot read is
// skipped, and keys in it simply have no position.
func indexPositions(src string) positions {
	pos := positions{}
	var prefix []string
	counts := map[string]int{}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimLeft(line, " \t")
		col := len(line) - len(trimmed) + 1
		switch {
		case trimmed == "" || trimmed[0] == '#':
			continue
		case strings.HasPrefix(trimmed, "[["):
			keys, _, ok := parseKey(trimmed[2:])
			if !ok {
				continue
			}
			keys = inArray(keys, counts) // [[redirects.has]]: redirects.[N].has
			n := counts[pathKey(keys)]
			counts[pathKey(keys)] = n + 1
			pos[pathKey(keys)] = Position{i + 1, col}
			prefix = append(keys, "["+strconv.Itoa(n)+"]")
			pos[pathKey(prefix)] = Position{i + 1, col}
		case trimmed[0] == '[':
			keys, _, ok := parseKey(trimmed[1:])
			if !ok {
				continue
			}
			keys = inArray(keys, counts)
			prefix = keys
			pos[pathKey(keys)] = Position{i + 1, col}
		default:
			keys, rest, ok := parseKey(trimmed)
			if !ok || !strings.HasPrefix(strings.TrimLeft(rest, " \t"), "=") {
				continue
			}
			full := append(append([]string{}, prefix...), keys...)
			pos[pathKey(full)] = Position{i + 1, col}
			i = skipValue(lines, i, strings.TrimLeft(rest, " \t")[1:])
		}
	}
	return pos
}

// inArray inserts the index of the current element when a table header
// names a sub-table of an array of tables: [proxies.headers] after the
// second [[proxies]] is proxies.[1].headers.
func inArray(keys []string, counts map[string]int) []string {
	for n := len(keys) - 1; n > 0; n-- {
		if c := counts[pathKey(keys[:n])]; c > 0 {
			return append(append(append([]string{}, keys[:n]...), "["+strconv.Itoa(c-1)+"]"), keys[n:]...)
		}
	}
	return keys
}

// parseKey reads a dotted key (bare, "basic" or 'literal' parts) from the start
// of s and returns its parts and the text after it.
func parseKey(s string) (parts []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var part string
		switch s[0] {
		case '"':
			end := closingQuote(s)
			if end < 0 {
				return nil, "", false
			}
			unq, err := strconv.Unquote(s[:end+1])
			if err != nil {
				unq = s[1:end]
			}
			part, s = unq, s[end+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			part, s = s[1:end+1], s[end+2:]
		default:
			n := 0
			for n < len(s) && IsBareKeyChar(s[n]) {
				n++
			}
			if n == 0 {
				return nil, "", false
			}
			part, s = s[:n], s[n:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return parts, s, true
		}
		s = s[1:]
	}
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func IsBareKeyChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// skipValue returns the index of the last line of the value that starts on
// line i with text v, following multi-line strings and bracketed values.
func skipValue(lines []string, i int, v string) int {
	v = strings.TrimLeft(v, " \t")
	for _, delim := range []string{`"""`, `'''`} {
		if strings.HasPrefix(v, delim) {
			if strings.Contains(v[3:], delim) {
				return i
			}
			for j := i + 1; j < len(lines); j++ {
				if strings.Contains(lines[j], delim) {
					return j
				}
			}
			return len(lines) - 1
		}
	}
	depth := bracketDepth(v)
	for j := i + 1; depth > 0 && j < len(lines); j++ {
		depth += bracketDepth(lines[j])
		i = j
	}
	return i
}

// bracketDepth counts unbalanced [ and { outside strings and comments.
func bracketDepth(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return depth
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
	}
	return depth
}
