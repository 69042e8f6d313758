package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// Formats are the files migrate reads, by the name each platform gives
// it, with what it is.
var Formats = []struct{ Name, What string }{
	{config.StaticJSONName, "Heroku's heroku-buildpack-static"},
	{NetlifyTOML, "Netlify's configuration"},
	{RedirectsFile, "Netlify / Cloudflare Pages redirects"},
	{HeadersFile, "Netlify / Cloudflare Pages headers"},
	{VercelJSON, "Vercel's configuration"},
	{FirebaseJSON, "Firebase Hosting's configuration"},
}

// Detect names the format of a file (one of Formats' names): by its name
// when it is one of them, else by its content. It returns "" when it
// cannot tell.
func Detect(name string, data []byte) string {
	base := filepath.Base(name)
	for _, f := range Formats {
		if base == f.Name {
			return f.Name
		}
	}
	text := bytes.TrimSpace(data)
	if len(text) > 0 && text[0] == '{' {
		// JSON: by its keys (read as text when the file does not parse, so
		// that the format's reader reports the syntax error).
		var doc map[string]json.RawMessage
		_ = json.Unmarshal(text, &doc)
		has := func(k string) bool {
			if doc != nil {
				_, ok := doc[k]
				return ok
			}
			return bytes.Contains(text, []byte(`"`+k+`"`))
		}
		switch {
		case has("hosting"):
			return FirebaseJSON
		case has("cleanUrls") || has("trailingSlash") || has("rewrites") || has("outputDirectory"):
			return VercelJSON
		}
		return config.StaticJSONName
	}
	switch {
	case bytes.Contains(data, []byte("[[redirects]]")) || bytes.Contains(data, []byte("[[headers]]")) || bytes.Contains(data, []byte("[build]")):
		return NetlifyTOML
	case looksLikeHeaders(data):
		return HeadersFile
	}
	if rules, err := ParseRedirects(name, data); err == nil && len(rules) > 0 {
		return RedirectsFile
	}
	return ""
}

// looksLikeHeaders reports whether data parses as a _headers file with a
// header in its first block.
func looksLikeHeaders(data []byte) bool {
	blocks, err := ParseHeaders(HeadersFile, data)
	return err == nil && len(blocks) > 0 && len(blocks[0].Set)+len(blocks[0].Detach) > 0
}

// Convert reads one file of the given format (a name from Formats); name
// is used in errors and notes.
func Convert(format, name string, data []byte) (*Imported, error) {
	switch format {
	case config.StaticJSONName:
		cfg, notes, err := ParseStaticJSON(name, data)
		if err != nil {
			return nil, err
		}
		return &Imported{Config: cfg, Notes: notes}, nil
	case RedirectsFile:
		rules, err := ParseRedirects(name, data)
		if err != nil {
			return nil, err
		}
		return RedirectsConfig(name, rules), nil
	case HeadersFile:
		blocks, err := ParseHeaders(name, data)
		if err != nil {
			return nil, err
		}
		return HeadersConfig(name, blocks), nil
	case NetlifyTOML:
		return ParseNetlifyTOML(name, data)
	case VercelJSON:
		return ParseVercelJSON(name, data)
	case FirebaseJSON:
		return ParseFirebaseJSON(name, data)
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return nil, fmt.Errorf("%s: not a format migrate reads (%s)", name, strings.Join(names, ", "))
}

// AllNotes lists imp's notes followed by a NOT MIGRATED note for every rule it
// refused: what migrate prints, so that nothing is dropped silently.
func (imp *Imported) AllNotes() []string {
	out := append([]string{}, imp.Notes...)
	for _, e := range imp.Refused {
		out = append(out, "NOT MIGRATED: "+e.Error())
	}
	return out
}
