package config

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// schemaFile is the JSON Schema of static.toml, for editors (taplo, Even
// Better TOML) and for `taplo lint`.
var schemaFile = filepath.Join("..", "..", "schema", "static.schema.json")

// jsonSchema is the part of JSON Schema the checks below read.
type jsonSchema struct {
	Schema               string                 `json:"$schema"`
	Type                 any                    `json:"type"`
	Description          string                 `json:"description"`
	Default              any                    `json:"default"`
	Enum                 []any                  `json:"enum"`
	Properties           map[string]*jsonSchema `json:"properties"`
	PatternProperties    map[string]*jsonSchema `json:"patternProperties"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Items                *jsonSchema            `json:"items"`
	Required             []string               `json:"required"`
	Pattern              string                 `json:"pattern"`
}

func loadSchema(t *testing.T) *jsonSchema {
	t.Helper()
	var s jsonSchema
	dec := json.NewDecoder(strings.NewReader(string(mustRead(t, schemaFile))))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return &s
}

// goDocs reads the doc comments of config.go: "Type" for a type and
// "Type.Field" for a field, with white space collapsed.
func goDocs(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(g.Specs) == 1 {
				doc = g.Doc
			}
			if doc != nil {
				docs[ts.Name.Name] = norm(doc.Text())
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				if field.Doc == nil {
					continue
				}
				for _, n := range field.Names {
					docs[ts.Name.Name+"."+n.Name] = norm(field.Doc.Text())
				}
			}
		}
	}
	return docs
}

// tomlFields lists the fields of struct type t that static.toml sets.
func tomlFields(t reflect.Type) map[string]reflect.StructField {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.Anonymous && tag != "" && tag != "-" && f.IsExported() {
			out[tag] = f
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonTypeOf is the JSON Schema type of a Go type as static.toml writes it.
func jsonTypeOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonTypeOf(t.Elem())
	}
	return ""
}

// checkObject compares the properties of schema s with the toml fields of
// Go type goType (named typeName for doc comments) and recurses into
// arrays of tables and tables.
func checkObject(t *testing.T, where string, s *jsonSchema, goType reflect.Type, typeName string, docs map[string]string) {
	t.Helper()
	if s.Type != "object" {
		t.Errorf("%s: type %v, want object", where, s.Type)
	}
	if !isFalse(s.AdditionalProperties) {
		t.Errorf("%s: additionalProperties must be false: Parse rejects unknown keys", where)
	}
	fields := tomlFields(goType)
	for _, tag := range sortedKeys(fields) {
		f := fields[tag]
		p, ok := s.Properties[tag]
		key := strings.TrimPrefix(where+"."+tag, ".")
		if !ok {
			t.Errorf("schema lacks %s (Go field %s.%s)", key, typeName, f.Name)
			continue
		}
		if p.Description == "" {
			t.Errorf("%s: no description", key)
		}
		doc, ok := docs[typeName+"."+f.Name]
		if len(f.Index) > 1 {
			// A field of an embedded struct (Conditions) keeps its doc there.
			doc, ok = docs[goType.FieldByIndex(f.Index[:len(f.Index)-1]).Type.Name()+"."+f.Name]
		}
		if ok && key != "csp" && p.Description != doc {
			t.Errorf("%s: description differs from the Go doc comment of %s.%s\n schema: %s\n go:     %s", key, typeName, f.Name, p.Description, doc)
		}
		ft := f.Type
		if want := jsonTypeOf(ft); p.Type != want {
			t.Errorf("%s: type %v, want %s (Go %s)", key, p.Type, want, ft)
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			if p.Items == nil {
				t.Errorf("%s: no items", key)
				continue
			}
			et := ft.Elem()
			if doc, ok := docs[et.Name()]; ok && p.Items.Description != doc {
				t.Errorf("%s items: description differs from the Go doc comment of %s\n schema: %s\n go:     %s", key, et.Name(), p.Items.Description, doc)
			}
			checkObject(t, key+"[]", p.Items, et, et.Name(), docs)
		case ft.Kind() == reflect.Slice:
			if p.Items == nil || p.Items.Type != jsonTypeOf(ft.Elem()) {
				t.Errorf("%s: items must be of type %s", key, jsonTypeOf(ft.Elem()))
			}
		case ft.Kind() == reflect.Struct:
			checkObject(t, key, p, ft, ft.Name(), docs)
		}
	}
	for _, name := range sortedKeys(s.Properties) {
		if _, ok := fields[name]; !ok {
			t.Errorf("schema has %s, which is no toml tag of %s", strings.TrimPrefix(where+"."+name, "."), typeName)
		}
	}
}

// TestSchemaMatchesConfig keeps schema/static.schema.json and the Config
// struct from drifting apart: every toml tag is a schema property and vice
// versa, with the Go type, the doc comment as description, and the
// defaults that Default() and Parse apply.
func TestSchemaMatchesConfig(t *testing.T) {
	s := loadSchema(t)
	docs := goDocs(t)
	if s.Schema != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("$schema = %q; taplo validates draft-07", s.Schema)
	}
	checkObject(t, "", s, reflect.TypeFor[Config](), "Config", docs)

	// Top-level defaults: Default() and the schema agree on every key.
	def := reflect.ValueOf(Default()).Elem()
	for tag, f := range tomlFields(reflect.TypeFor[Config]()) {
		p := s.Properties[tag]
		if p == nil {
			continue
		}
		v := def.FieldByIndex(f.Index)
		if v.IsZero() {
			if p.Default != nil {
				t.Errorf("%s: schema default %v, but Default() leaves it unset", tag, p.Default)
			}
			continue
		}
		checkDefault(t, tag, p, v.Interface())
	}

	// Defaults Parse fills into tables.
	cfg, err := Parse(FileName, []byte(`
[[redirects]]
from = "/a"
to = "/b"
[[proxies]]
from = "/api/*"
to = "https://api.example.com/"
[basic_auth]
`))
	if err != nil {
		t.Fatal(err)
	}
	props := func(path ...string) *jsonSchema {
		p := s
		for _, k := range path {
			if k == "[]" {
				p = p.Items
			} else {
				p = p.Properties[k]
			}
			if p == nil {
				t.Fatalf("schema lacks %v", path)
			}
		}
		return p
	}
	checkDefault(t, "redirects.status", props("redirects", "[]", "status"), cfg.Redirects[0].Status)
	checkDefault(t, "proxies.max_body", props("proxies", "[]", "max_body"), cfg.Proxies[0].MaxBody)
	checkDefault(t, "basic_auth.realm", props("basic_auth", "realm"), cfg.BasicAuth.Realm)
	checkDefault(t, "basic_auth.users_env", props("basic_auth", "users_env"), cfg.BasicAuth.UsersEnv)
	for _, k := range []string{"redirects.status", "proxies.max_body", "basic_auth.realm", "basic_auth.users_env"} {
		if _, ok := ElementDefaults[k]; !ok {
			t.Errorf("EncodeTOML does not know the default of %s", k)
		}
	}
	checkDefault(t, "redirects.status", props("redirects", "[]", "status"), ElementDefaults["redirects.status"])
	checkDefault(t, "proxies.max_body", props("proxies", "[]", "max_body"), ElementDefaults["proxies.max_body"])
	checkDefault(t, "basic_auth.realm", props("basic_auth", "realm"), ElementDefaults["basic_auth.realm"])
	checkDefault(t, "basic_auth.users_env", props("basic_auth", "users_env"), ElementDefaults["basic_auth.users_env"])

	// Enums that Parse enforces.
	if got := fmt.Sprint(props("trailing_slash").Enum); got != "[auto always never]" {
		t.Errorf("trailing_slash enum %s", got)
	}
	var statuses []string
	for _, n := range RedirectStatuses {
		statuses = append(statuses, fmt.Sprint(n))
	}
	if got := fmt.Sprint(props("redirects", "[]", "status").Enum); got != "["+strings.Join(statuses, " ")+"]" {
		t.Errorf("redirects status enum %s, want %v", got, statuses)
	}
}

// isFalse reports whether a schema value is the JSON literal false.
func isFalse(v any) bool {
	b, ok := v.(bool)
	return ok && !b
}

func isTrue(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

func checkDefault(t *testing.T, key string, p *jsonSchema, want any) {
	t.Helper()
	if p.Default == nil {
		t.Errorf("%s: schema has no default; Go's is %v", key, want)
		return
	}
	if got := fmt.Sprint(p.Default); got != fmt.Sprint(want) {
		t.Errorf("%s: schema default %s, Go default %v", key, got, want)
	}
}

// TestSchemaHeadersAndCSP checks the two tables whose keys are not Go
// fields: header globs and CSP directives.
func TestSchemaHeadersAndCSP(t *testing.T) {
	s := loadSchema(t)
	docs := goDocs(t)

	h := s.Properties["headers"]
	if h == nil || len(h.PatternProperties) != 1 || !isFalse(h.AdditionalProperties) {
		t.Fatalf("headers must have one pattern property (globs) and no others: %+v", h)
	}
	for pat, rule := range h.PatternProperties {
		re := regexp.MustCompile(pat)
		if !re.MatchString("/assets/**") || re.MatchString("assets") {
			t.Errorf("headers pattern %q must accept globs starting with / only", pat)
		}
		if rule.Type != "object" || rule.Description != docs["HeaderRule"] {
			t.Errorf("headers glob table: type %v, description %q, want object and %q", rule.Type, rule.Description, docs["HeaderRule"])
		}
		if v, ok := rule.AdditionalProperties.(map[string]any); !ok || v["type"] != "string" {
			t.Errorf("header values must be strings: %v", rule.AdditionalProperties)
		}
	}

	c := s.Properties["csp"]
	if c == nil || !isFalse(c.AdditionalProperties) {
		t.Fatalf("csp must reject unknown keys: %+v", c)
	}
	if c.Description != docs["CSP"] {
		t.Errorf("csp: description differs from the Go doc comment of CSP\n schema: %s\n go:     %s", c.Description, docs["CSP"])
	}
	if got := sortedKeys(c.Properties); strings.Join(got, " ") != "report_endpoint report_only report_to report_uri" {
		t.Errorf("csp properties %v, want report_endpoint, report_only, report_to, report_uri", got)
	}
	if p := c.Properties["report_only"]; p == nil || p.Type != "boolean" || !isFalse(p.Default) {
		t.Errorf("csp.report_only: %+v", p)
	}
	if p := c.Properties["report_endpoint"]; p == nil || p.Type != "boolean" || !isTrue(p.Default) || !Default().CSP.ReportEndpoint {
		t.Errorf("csp.report_endpoint: %+v, Default().CSP.ReportEndpoint = %t; want a boolean defaulting to true in both", p, Default().CSP.ReportEndpoint)
	}
	if len(c.PatternProperties) != 1 {
		t.Fatalf("csp needs one pattern property for the directives")
	}
	for pat, d := range c.PatternProperties {
		re := regexp.MustCompile(pat)
		for _, name := range CSPDirectives {
			if !re.MatchString(name) {
				t.Errorf("csp pattern does not accept the directive %q", name)
			}
		}
		for _, bad := range []string{"script_src", "scripts-src", "report_only", "default-src-x", "x-default-src"} {
			if re.MatchString(bad) {
				t.Errorf("csp pattern accepts %q", bad)
			}
		}
		if d.Type != "array" || d.Items == nil || d.Items.Type != "string" {
			t.Errorf("csp directives must be arrays of strings: %+v", d)
		}
		// Every alternative of the pattern is a directive Parse accepts.
		inner := strings.TrimSuffix(strings.TrimPrefix(pat, "^("), ")$")
		for _, alt := range strings.Split(inner, "|") {
			if !Contains(CSPDirectives, alt) {
				t.Errorf("csp pattern accepts %q, which Parse rejects", alt)
			}
		}
	}
}

// The README documents every static.toml key of the schema, with the
// schema's default, in its key table; a key added to one and not the other
// fails here.
func TestReadmeDocumentsEverySchemaKey(t *testing.T) {
	s := loadSchema(t)
	readme := string(mustRead(t, filepath.Join("..", "..", "README.md")))
	start := strings.Index(readme, "## `static.toml`")
	if start < 0 {
		t.Fatal("README.md has no static.toml section")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	rows := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		m := regexp.MustCompile("^\\| `\\[{0,2}([a-z_]+)[^`]*`").FindStringSubmatch(line)
		if m != nil {
			rows[m[1]] = line
		}
	}
	for _, key := range sortedKeys(s.Properties) {
		row, ok := rows[key]
		if !ok {
			t.Errorf("README.md's static.toml table has no row for %q", key)
			continue
		}
		switch d := s.Properties[key].Default.(type) {
		case bool:
			if !strings.Contains(row, fmt.Sprintf("`%t`", d)) {
				t.Errorf("README.md row for %q does not show the default %t: %s", key, d, row)
			}
		case string:
			if d != "" && !strings.Contains(row, fmt.Sprintf("`%q`", d)) {
				t.Errorf("README.md row for %q does not show the default %q: %s", key, d, row)
			}
		}
	}
	// The [csp] row names each of its keys, and the default of those that
	// are on unless turned off.
	for _, key := range sortedKeys(s.Properties["csp"].Properties) {
		want := "`" + key
		if isTrue(s.Properties["csp"].Properties[key].Default) {
			want = "`" + key + "` (default `true`"
		}
		if !strings.Contains(rows["csp"], want) {
			t.Errorf("README.md row for csp does not name %q as %q: %s", key, want, rows["csp"])
		}
	}
	for key := range rows {
		if _, ok := s.Properties[key]; !ok {
			t.Errorf("README.md documents %q, which the schema does not have", key)
		}
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
