package migrate

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/hardstatic/buildpack/internal/config"
)

// EncodeTOML renders cfg as a readable static.toml: a header comment, notes
// as comments, then only the keys whose values differ from Default() (and
// whatever else is needed for the same behaviour, such as an otherwise empty
// [basic_auth] table), in the order of the Config struct. Header tables keep
// the order of cfg.HeaderRules and [csp] that of cfg.CSP.
//
// Parse("static.toml", EncodeTOML(cfg, nil)) gives a Config equivalent to cfg.
func EncodeTOML(cfg *config.Config, notes []string) []byte {
	var b bytes.Buffer
	b.WriteString("# static.toml: how this site is served (see the README for every key and its default).\n")
	b.WriteString("# Only settings that differ from the defaults are written.\n")
	if len(notes) > 0 {
		b.WriteString("#\n# Notes:\n")
		for _, n := range notes {
			writeComment(&b, n)
		}
	}
	def := reflect.ValueOf(config.Default()).Elem()
	v := reflect.ValueOf(cfg).Elem()
	var body bytes.Buffer
	// Plain values first: TOML puts every key of a table before its
	// sub-tables.
	for _, f := range configFields() {
		fv := v.FieldByIndex(f.index)
		if !isPlain(fv.Type()) || reflect.DeepEqual(fv.Interface(), def.FieldByIndex(f.index).Interface()) {
			continue
		}
		fmt.Fprintf(&body, "%s = %s\n", tomlKey(f.tag), tomlValue(fv))
	}
	for _, f := range configFields() {
		fv := v.FieldByIndex(f.index)
		if isPlain(fv.Type()) {
			continue
		}
		switch f.tag {
		case "headers":
			encodeHeaders(&body, cfg)
		case "csp":
			encodeCSP(&body, cfg)
		default:
			encodeTable(&body, f.tag, fv)
		}
	}
	if body.Len() > 0 {
		b.WriteByte('\n')
		b.Write(bytes.TrimLeft(body.Bytes(), "\n")) // one blank line, also before a first table
	}
	return b.Bytes()
}

// writeComment writes one note as a "#   - " comment wrapped at 100 columns.
func writeComment(b *bytes.Buffer, note string) {
	const width = 100
	line, empty := "#   -", true
	for _, word := range strings.Fields(note) {
		if !empty && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			b.WriteString(line + "\n")
			line = "#    "
		}
		line += " " + word
		empty = false
	}
	b.WriteString(line + "\n")
}

type configField struct {
	tag   string
	index []int
}

// configFields lists the fields of Config that static.toml sets, in struct
// order.
func configFields() []configField {
	var out []configField
	t := reflect.TypeFor[config.Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		out = append(out, configField{tag: tag, index: f.Index})
	}
	return out
}

// isPlain reports whether values of t are written as key = value rather
// than as tables.
func isPlain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return false
	case reflect.Pointer:
		return isPlain(t.Elem())
	case reflect.Slice:
		e := t.Elem()
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		return e.Kind() != reflect.Struct && e.Kind() != reflect.Map
	}
	return true
}

// encodeTable writes arrays of tables ([[name]]), tables behind pointers
// ([name]) and maps ([name]).
func encodeTable(b *bytes.Buffer, name string, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			fmt.Fprintf(b, "\n[[%s]]\n", dottedKey(name))
			encodeStructBody(b, name, v.Index(i))
		}
	case reflect.Struct:
		fmt.Fprintf(b, "\n[%s]\n", dottedKey(name))
		encodeStructBody(b, name, v)
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		fmt.Fprintf(b, "\n[%s]\n", tomlKey(name))
		encodeMap(b, v)
	}
}

// encodeStructBody writes the keys of one table, then its sub-tables. Zero
// values and element defaults are left out.
func encodeStructBody(b *bytes.Buffer, prefix string, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	type sub struct {
		name string
		v    reflect.Value
	}
	var subs []sub
	// Visible fields: the keys of an embedded struct (config.Conditions)
	// are the table's own.
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if f.Anonymous || tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		fv := v.FieldByIndex(f.Index)
		if fv.IsZero() {
			continue
		}
		if d, ok := config.ElementDefaults[prefix+"."+tag]; ok && reflect.DeepEqual(fv.Interface(), d) {
			continue
		}
		if !isPlain(fv.Type()) {
			subs = append(subs, sub{tag, fv})
			continue
		}
		fmt.Fprintf(b, "%s = %s\n", tomlKey(tag), tomlValue(fv))
	}
	for _, s := range subs {
		if s.v.Kind() == reflect.Map {
			if s.v.Len() == 0 {
				continue
			}
			fmt.Fprintf(b, "[%s.%s]\n", tomlKey(prefix), tomlKey(s.name))
			encodeMap(b, s.v)
			continue
		}
		encodeTable(b, prefix+"."+s.name, s.v)
	}
}

// encodeMap writes the entries of a map of plain values, sorted by key.
func encodeMap(b *bytes.Buffer, v reflect.Value) {
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		fmt.Fprintf(b, "%s = %s\n", tomlKey(k.String()), tomlValue(v.MapIndex(k)))
	}
}

func encodeHeaders(b *bytes.Buffer, cfg *config.Config) {
	rules := cfg.HeaderRules
	if len(rules) == 0 && len(cfg.Headers) > 0 {
		// A Config not made by Parse: no file order, so sort.
		globs := make([]string, 0, len(cfg.Headers))
		for g := range cfg.Headers {
			globs = append(globs, g)
		}
		sort.Strings(globs)
		for _, g := range globs {
			rule := config.HeaderRule{Glob: g}
			names := make([]string, 0, len(cfg.Headers[g]))
			for n := range cfg.Headers[g] {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				rule.Headers = append(rule.Headers, config.Header{Name: n, Value: cfg.Headers[g][n]})
			}
			rules = append(rules, rule)
		}
	}
	for _, r := range rules {
		fmt.Fprintf(b, "\n[headers.%s]\n", tomlString(r.Glob))
		for _, h := range r.Headers {
			fmt.Fprintf(b, "%s = %s\n", tomlKey(h.Name), tomlString(h.Value))
		}
	}
}

func encodeCSP(b *bytes.Buffer, cfg *config.Config) {
	c := cfg.CSP
	if c.ReportOnly || c.ReportURI != "" || c.ReportTo != "" || !c.ReportEndpoint || len(c.Sources) > 0 {
		b.WriteString("\n[csp]\n")
		if c.ReportOnly {
			b.WriteString("report_only = true\n")
		}
		if !c.ReportEndpoint {
			b.WriteString("report_endpoint = false\n")
		}
		if c.ReportURI != "" {
			fmt.Fprintf(b, "report_uri = %s\n", tomlString(c.ReportURI))
		}
		if c.ReportTo != "" {
			fmt.Fprintf(b, "report_to = %s\n", tomlString(c.ReportTo))
		}
		for _, d := range c.Sources {
			fmt.Fprintf(b, "%s = %s\n", tomlKey(d.Name), tomlValue(reflect.ValueOf(d.Sources)))
		}
		return
	}
	if len(cfg.CSPTable) > 0 {
		// Only the raw table is known (a Config not made by Parse).
		b.WriteString("\n[csp]\n")
		encodeMap(b, reflect.ValueOf(cfg.CSPTable))
	}
}

// tomlValue renders a plain value.
func tomlValue(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return `""`
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return tomlString(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = tomlValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	// Anything else (floats, dates): let the TOML library spell it.
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]any{"v": v.Interface()}); err == nil {
		if _, val, ok := strings.Cut(strings.TrimSpace(b.String()), "="); ok {
			return strings.TrimSpace(val)
		}
	}
	return tomlString(fmt.Sprint(v.Interface()))
}

// dottedKey writes a table path such as redirects.has (parts joined by
// dots, each written as tomlKey does).
func dottedKey(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		parts[i] = tomlKey(p)
	}
	return strings.Join(parts, ".")
}

// tomlKey writes a key bare when TOML allows it, else quoted.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		if !config.IsBareKeyChar(k[i]) {
			return tomlString(k)
		}
	}
	return k
}

// tomlString writes a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
