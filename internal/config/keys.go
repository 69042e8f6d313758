package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// checkKeys compares every key of the document with the Config schema, so that
// a typo or a value of the wrong type is reported at its position with a
// suggestion, before decoding. A key under one already reported is not
// reported again. The work is linear in the total length of the keys.
func checkKeys(name string, md toml.MetaData, keys []toml.Key, pos positions) error {
	var errs []error
	arrays := map[string]int{}    // array-of-tables path (pathKey) -> elements seen so far
	reported := map[string]bool{} // paths (pathKey) already reported
	schema := reflect.TypeFor[Config]()
	for _, key := range keys {
		prefixes := keyPrefixes(key)
		if underReported(prefixes, reported) {
			continue
		}
		tomlType := md.Type(key...)
		if tomlType == "ArrayHash" {
			arrays[prefixes[len(key)-1]]++
		}
		indexed, display := indexedPath(key, prefixes, arrays)
		At := pos.At(indexed)
		goType, known, err := lookup(schema, key)
		if err != nil {
			reported[prefixes[len(key)-1]] = true
			errs = append(errs, &Error{File: name, Pos: At, Key: display, Msg: err.Error(), Hint: Suggest(key[len(key)-1], known)})
			continue
		}
		// An array of inline tables (has = [{...}]) is an Array to the
		// TOML library; decoding checks its elements.
		if want := tomlTypeOf(goType); want != "" && want != tomlType && (want != "Float" || tomlType != "Integer") && (want != "ArrayHash" || tomlType != "Array") {
			reported[prefixes[len(key)-1]] = true
			errs = append(errs, &Error{File: name, Pos: At, Key: display,
				Msg: fmt.Sprintf("expected %s, got %s", describe(want), describe(tomlType))})
		}
	}
	return JoinErrors(errs)
}

// keyPrefixes returns pathKey(key[:i+1]) for every i. They share one string,
// so the cost is the key's length, not its square.
func keyPrefixes(key toml.Key) []string {
	full := pathKey(key)
	out := make([]string, len(key))
	n := 0
	for i, part := range key {
		if i > 0 {
			n++ // the separator
		}
		n += len(part)
		out[i] = full[:n]
	}
	return out
}

// underReported reports whether a proper prefix of the key was reported.
func underReported(prefixes []string, reported map[string]bool) bool {
	for _, p := range prefixes[:len(prefixes)-1] {
		if reported[p] {
			return true
		}
	}
	return false
}

// indexedPath inserts array-of-tables indexes into key, for positions and for
// messages: redirects.from in the second [[redirects]] is redirects[1].from.
func indexedPath(key toml.Key, prefixes []string, arrays map[string]int) (indexed []string, display string) {
	var b strings.Builder
	for i, part := range key {
		indexed = append(indexed, part)
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
		if n, ok := arrays[prefixes[i]]; ok && i < len(key)-1 {
			indexed = append(indexed, "["+strconv.Itoa(n-1)+"]")
			fmt.Fprintf(&b, "[%d]", n)
		}
	}
	return indexed, b.String()
}

// lookup finds the Go type at key in the schema. When a part is unknown it
// returns the valid names at that level.
func lookup(t reflect.Type, key toml.Key) (reflect.Type, []string, error) {
	for _, part := range key {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			f, names := fieldByTag(t, part)
			if f == nil {
				return nil, names, errors.New("unknown key")
			}
			t = f.Type
		default:
			return nil, nil, fmt.Errorf("unknown key %q: its parent takes a single value, not a table", part)
		}
	}
	return t, nil, nil
}

func fieldByTag(t reflect.Type, name string) (*reflect.StructField, []string) {
	var names []string
	// Visible fields: the keys of an embedded struct (Conditions) are the
	// table's own.
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		if tag == name {
			return &f, nil
		}
		names = append(names, tag)
	}
	return nil, names
}

// tomlTypeOf is the TOML type a Go type decodes from ("" when any will do).
func tomlTypeOf(t reflect.Type) string {
	if t.Implements(reflect.TypeFor[toml.Unmarshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[toml.Unmarshaler]()) {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "Integer"
	case reflect.Float32, reflect.Float64:
		return "Float"
	case reflect.Struct, reflect.Map:
		return "Hash"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "ArrayHash"
		}
		return "Array"
	case reflect.Pointer:
		return tomlTypeOf(t.Elem())
	}
	return ""
}

func describe(tomlType string) string {
	switch tomlType {
	case "String":
		return `a string (in quotes, e.g. "public")`
	case "Bool":
		return "true or false"
	case "Integer":
		return "a whole number"
	case "Float":
		return "a number"
	case "Hash":
		return "a table"
	case "ArrayHash":
		return "an array of tables ([[...]])"
	case "Array":
		return "an array ([...])"
	}
	return strings.ToLower(tomlType)
}

// Suggest names the closest valid key, or lists them all.
func Suggest(got string, valid []string) string {
	if len(valid) == 0 {
		return "remove it"
	}
	best, bestDist := "", len(got)/2+2
	for _, v := range valid {
		if d := editDistance(strings.ToLower(got), v); d < bestDist {
			best, bestDist = v, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	sorted := append([]string(nil), valid...)
	sort.Strings(sorted)
	return "valid keys here: " + strings.Join(sorted, ", ")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
