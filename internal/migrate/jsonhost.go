package migrate

import (
	"fmt"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// jsonHost reads the JSON configuration of another host (vercel.json,
// firebase.json): type errors are errors at the file's line and column
// (the static.json reader's), keys with no equivalent are notes, and the
// rules go to a mapper.
type jsonHost struct {
	*migration
	m *mapper
}

func readHostJSON(name string, data []byte) (*jsonHost, *jsonValue, error) {
	if len(data) > config.MaxFileSize {
		return nil, nil, config.TooLargeError(name, len(data))
	}
	doc, err := readJSON(name, data)
	if err != nil {
		return nil, nil, err
	}
	h := &jsonHost{migration: &migration{name: name, data: data, cfg: config.Default()}, m: newMapper(name)}
	if doc.kind != jsonObject {
		h.errorAt(doc, nil, "the file must hold a JSON object", "start it with { and end it with }")
		return nil, nil, config.JoinErrors(h.errs)
	}
	h.checkText(doc, nil)
	if len(h.errs) > 0 {
		return nil, nil, config.JoinErrors(h.errs)
	}
	return h, doc, nil
}

func (h *jsonHost) line(v *jsonValue) int { return offsetPosition(h.data, v.off).Line }

// fields returns the members of object v that are known, by name; a
// member of the wrong type is an error, an unknown one a NOT MIGRATED note
// (what names the object in the note).
func (h *jsonHost) fields(v *jsonValue, key []string, known map[string]jsonKind, what string) map[string]*jsonValue {
	out := map[string]*jsonValue{}
	for _, mem := range h.unique(v, key) {
		k := config.At(key, mem.key)
		want, ok := known[mem.key]
		if !ok {
			if mem.key != "$schema" {
				h.m.note("NOT MIGRATED: %s:%d: %s %q has no equivalent here and was left out.", h.name, h.line(mem.keyValue()), what, mem.key)
			}
			continue
		}
		if mem.val.kind == jsonNull || !h.expect(mem.val, k, want) {
			continue
		}
		out[mem.key] = mem.val
	}
	return out
}

// objects returns the items of array v that are objects, reporting others.
func (h *jsonHost) objects(v *jsonValue, key []string) []*jsonValue {
	if v == nil {
		return nil
	}
	var out []*jsonValue
	for i, item := range v.items {
		if h.expect(item, config.At(key, fmt.Sprint(i)), jsonObject) {
			out = append(out, item)
		}
	}
	return out
}

// str returns the string v holds, "" for none.
func str(v *jsonValue) string {
	if v == nil {
		return ""
	}
	return v.str
}

// matches reads Vercel's has/missing arrays: {type, key, value}.
func (h *jsonHost) matches(v *jsonValue, key []string) []config.Match {
	var out []config.Match
	for i, item := range h.objects(v, key) {
		k := config.At(key, fmt.Sprint(i))
		f := h.fields(item, k, map[string]jsonKind{"type": jsonString, "key": jsonString, "value": jsonString}, strings.Join(key, "."))
		out = append(out, config.Match{Type: str(f["type"]), Key: str(f["key"]), Value: str(f["value"])})
	}
	return out
}

// headerList reads [{key, value}, ...] header lists.
func (h *jsonHost) headerList(v *jsonValue, key []string) []HeaderLine {
	var out []HeaderLine
	for i, item := range h.objects(v, key) {
		k := config.At(key, fmt.Sprint(i))
		f := h.fields(item, k, map[string]jsonKind{"key": jsonString, "value": jsonString}, "a header's")
		if str(f["key"]) == "" {
			h.errorAt(item, k, `missing "key"`, `write {"key": "X-Frame-Options", "value": "DENY"}`)
			continue
		}
		out = append(out, HeaderLine{Line: h.line(item), Name: str(f["key"]), Value: str(f["value"])})
	}
	return out
}

// result returns the mapped rules and notes, or the type errors.
func (h *jsonHost) result() (*Imported, error) {
	if len(h.errs) > 0 {
		return nil, config.JoinErrors(h.errs)
	}
	out := h.m.finish()
	out.Notes = append(out.Notes, h.notes...)
	return out, nil
}
