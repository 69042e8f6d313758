// Package table is the file table the build writes for the server: for each
// served file its size, content hash, content type, cache policy and the
// precompressed variants kept for it. It has no dependency on Caddy or on
// the compressors, so both the buildpack and the server import it cheaply.
package table

import (
	"errors"
	"fmt"
	"mime"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// FileName is the table's name inside the site layer.
const FileName = "files.tsv"

// EnvVar names the launch environment variable that pointed the server at
// the table in images built before the manifest named it (files_index);
// launch.Config still reads it for a manifest without files_index.
const EnvVar = "STATIC_FILES_INDEX"

// Version is the format version; a table of another version is refused.
const Version = 2

// Encodings, in the server's order of preference.
const (
	Brotli = "br"
	Zstd   = "zstd"
	Gzip   = "gzip"
)

// Encodings lists the content codings the build makes, preferred first.
var Encodings = []string{Brotli, Zstd, Gzip}

// Ext is the file suffix of each encoding's variant.
var Ext = map[string]string{Brotli: ".br", Zstd: ".zst", Gzip: ".gz"}

// Cache-Control values by class of file.
const (
	// CacheImmutable is for fingerprinted names (a content hash in the
	// name): the URL changes whenever the content does.
	CacheImmutable = "public, max-age=31536000, immutable"
	// CacheHTML is for pages: always revalidated (a cheap 304 with the
	// strong ETag), so a deploy is visible at once.
	CacheHTML = "no-cache"
	// CacheDefault is for other files (images, unhashed CSS/JS, fonts):
	// stored but revalidated before each use, as for pages.
	CacheDefault = "public, max-age=0, must-revalidate"
)

// Table describes the files of one site root.
type Table struct {
	Version int `json:"version"`
	// Root is the absolute site root the table was made from.
	Root string `json:"root"`
	// Variants is the absolute directory holding the compressed variants,
	// named Variants/<VariantPath>.
	Variants string `json:"variants"`
	// Files maps a slash-separated path relative to Root to its entry.
	Files map[string]*File `json:"files"`
	// Dirs lists the served directories (relative to Root), linked ones
	// included.
	Dirs []string `json:"dirs"`
}

// File is one served file.
type File struct {
	Size int64 `json:"size"`
	// SHA256 is the hex content hash.
	SHA256 string `json:"sha256"`
	// Type is the Content-Type (with the build's charset).
	Type string `json:"type"`
	// CacheControl is the default Cache-Control for the file.
	CacheControl string `json:"cache_control"`
	// Encoded maps an encoding (br, zstd, gzip) to its variant's size; only
	// variants smaller than the file are listed.
	Encoded map[string]int64 `json:"encoded,omitempty"`
	// Target is the regular file opened for this name, relative to Root,
	// when a symbolic link leads there; "" when it is the name itself.
	Target string `json:"target,omitempty"`
	// Protected is true when serving the file needs credentials, whatever
	// URL leads to it.
	Protected bool `json:"protected,omitempty"`
}

// Source is the name to open for the file served as name.
func (f *File) Source(name string) string {
	if f.Target != "" {
		return f.Target
	}
	return name
}

// ETag is the strong entity tag of the identity representation.
func (f *File) ETag() string { return `"` + f.SHA256[:min(32, len(f.SHA256))] + `"` }

// VariantETag is the strong entity tag of an encoded representation: each
// representation has its own tag (RFC 9110 8.8.3).
func (f *File) VariantETag(enc string) string {
	return `"` + f.SHA256[:min(32, len(f.SHA256))] + "-" + enc + `"`
}

// VariantPath is where the variant of content hash sum in encoding enc is
// stored, relative to the variants directory.
func VariantPath(sum, enc string) string {
	return sum[:2] + "/" + sum + Ext[enc]
}

// Write stores t in file, one line per entry, a format the server reads in
// a few milliseconds for ten thousand files:
//
//	hardstatic-files 2
//	root	<absolute root>
//	variants	<absolute variants directory>
//	d	<directory>
//	f	<sha256>	<size>	<br>	<zstd>	<gzip>	<flags>	<cache-control>	<content-type>	<target>	<name>
//
// Fields are tab-separated; the variant sizes are 0 when there is none;
// flags is "p" for a protected file, "-" otherwise; target is "" when the
// file is read under its own name. The table is the whole list of what is
// served: a name that is not in it is never served.
func Write(file string, t *Table) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d\n", magic, Version)
	for _, kv := range [][2]string{{"root", t.Root}, {"variants", t.Variants}} {
		if !Representable(kv[1]) {
			return fmt.Errorf("%s %q contains a tab or a line break", kv[0], kv[1])
		}
		b.WriteString(kv[0] + "\t" + kv[1] + "\n")
	}
	for _, d := range t.Dirs {
		if !Representable(d) {
			return fmt.Errorf("directory %q contains a tab or a line break", d)
		}
		b.WriteString("d\t" + d + "\n")
	}
	names := make([]string, 0, len(t.Files))
	for name := range t.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := t.Files[name]
		if !Representable(name) || !Representable(f.Type) || !Representable(f.CacheControl) || !Representable(f.Target) {
			return fmt.Errorf("file %q: a field contains a tab or a line break", name)
		}
		flags := "-"
		if f.Protected {
			flags = "p"
		}
		fmt.Fprintf(&b, "f\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", f.SHA256, f.Size,
			f.Encoded[Brotli], f.Encoded[Zstd], f.Encoded[Gzip], flags, f.CacheControl, f.Type, f.Target, name)
	}
	return os.WriteFile(file, []byte(b.String()), 0o644) //nolint:gosec // image files are world-readable by design
}

const magic = "hardstatic-files"

// Representable reports whether s can be a field of the table (file names
// with tabs or line breaks are left out of it, and so never served).
func Representable(s string) bool { return !strings.ContainsAny(s, "\t\n\r") }

// Read loads a table written by Write.
func Read(file string) (*Table, error) {
	data, err := os.ReadFile(file) //nolint:gosec // the path comes from the launch environment
	if err != nil {
		return nil, err
	}
	text := string(data)
	line, text, _ := strings.Cut(text, "\n")
	if line != fmt.Sprintf("%s %d", magic, Version) {
		return nil, fmt.Errorf("%s: not a version %d file table", file, Version)
	}
	t := &Table{Version: Version, Files: map[string]*File{}}
	for n := 2; text != ""; n++ {
		line, text, _ = strings.Cut(text, "\n")
		kind, rest, _ := strings.Cut(line, "\t")
		switch kind {
		case "root":
			t.Root = rest
		case "variants":
			t.Variants = rest
		case "d":
			t.Dirs = append(t.Dirs, rest)
		case "f":
			f, name, err := parseFile(rest)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", file, n, err)
			}
			t.Files[name] = f
		case "":
		default:
			return nil, fmt.Errorf("%s:%d: unknown entry %q", file, n, kind)
		}
	}
	return t, nil
}

func parseFile(line string) (*File, string, error) {
	var fields [10]string
	for i := range len(fields) - 1 {
		var ok bool
		if fields[i], line, ok = strings.Cut(line, "\t"); !ok {
			return nil, "", errors.New("too few fields")
		}
	}
	fields[9] = line
	f := &File{SHA256: fields[0], Protected: fields[5] == "p", CacheControl: fields[6], Type: fields[7], Target: fields[8]}
	if len(f.SHA256) < 16 || fields[9] == "" {
		return nil, "", errors.New("bad entry")
	}
	var err error
	if f.Size, err = strconv.ParseInt(fields[1], 10, 64); err != nil {
		return nil, "", err
	}
	for i, field := range fields[2:5] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return nil, "", err
		}
		if n > 0 {
			if f.Encoded == nil {
				f.Encoded = make(map[string]int64, 3)
			}
			f.Encoded[Encodings[i]] = n
		}
	}
	return f, fields[9], nil
}

// CacheControlFor is the default Cache-Control of a file name.
func CacheControlFor(name string) string {
	switch ext := strings.ToLower(path.Ext(name)); {
	case ext == ".html" || ext == ".htm":
		return CacheHTML
	case Fingerprinted(name):
		return CacheImmutable
	}
	return CacheDefault
}

// Fingerprinted reports whether a file name carries a content hash, as
// bundlers write them: app.3f9a1c2b.js (webpack, Parcel, CRA), main-BxK9z2Qa.js
// (Vite/Rollup), app-NVCR3ZEL.js (esbuild), main.min.<sha256>.css (Hugo).
// The hash must follow a separator (".", "-" or "_") after some name, so a
// bare "deadbeef12.js" does not count.
func Fingerprinted(name string) bool {
	base := path.Base(name)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	// A candidate is the text after a separator, up to the next dot.
	for i := 1; i < len(stem); i++ {
		if c := stem[i-1]; c != '.' && c != '-' && c != '_' {
			continue
		}
		seg := stem[i:]
		if j := strings.IndexByte(seg, '.'); j >= 0 {
			seg = seg[:j]
		}
		if hashLike(seg) {
			return true
		}
	}
	return false
}

// hashLike recognises the hash alphabets bundlers use.
func hashLike(s string) bool {
	n := len(s)
	if n < 8 || n > 64 {
		return false
	}
	var digits, lower, upper, hexLetters, other int
	for i := 0; i < n; i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f':
			lower++
			hexLetters++
		case c >= 'g' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		case c == '-' || c == '_':
			other++
		default:
			return false
		}
	}
	switch {
	case hexLetters+digits == n: // lowercase hex: webpack, Parcel, Hugo
		return digits > 0 && hexLetters > 0
	case n > 16:
		return false
	case upper > 0 && lower > 0: // base64url: Vite/Rollup
		return n == 8 && (digits > 0 || upper >= 2)
	case lower == 0 && other == 0: // base32 uppercase: esbuild
		return n == 8 && digits > 0 && upper > 0
	}
	return false
}

// ContentType is the Content-Type for a file name: a modern table first,
// then Go's, then application/octet-stream. Text types carry the charset.
func ContentType(name, charset string) string {
	ext := strings.ToLower(path.Ext(name))
	t, ok := types[ext]
	if !ok {
		t = mime.TypeByExtension(ext)
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
	}
	switch {
	case t == "":
		return "application/octet-stream"
	case charset != "" && (strings.HasPrefix(t, "text/") || strings.HasSuffix(t, "xml") || t == "text/javascript"):
		return t + "; charset=" + charset
	}
	return t
}

// Compressible reports whether a content type is worth compressing.
func Compressible(contentType string) bool {
	t, _, _ := strings.Cut(contentType, ";")
	switch {
	case strings.HasPrefix(t, "text/"),
		strings.HasSuffix(t, "+json"), strings.HasSuffix(t, "+xml"),
		strings.HasSuffix(t, "/json"), strings.HasSuffix(t, "/xml"),
		strings.HasSuffix(t, "javascript"):
		return true
	}
	switch t {
	case "image/svg+xml", "image/x-icon", "application/wasm", "font/ttf", "font/otf",
		"application/x-font-ttf", "image/bmp", "application/vnd.ms-fontobject":
		return true
	}
	return false
}

var types = map[string]string{
	".html":        "text/html",
	".htm":         "text/html",
	".css":         "text/css",
	".js":          "text/javascript",
	".mjs":         "text/javascript",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".xml":         "application/xml",
	".rss":         "application/rss+xml",
	".atom":        "application/atom+xml",
	".txt":         "text/plain",
	".md":          "text/markdown",
	".csv":         "text/csv",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".wasm":        "application/wasm",
	".pdf":         "application/pdf",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
	".mp3":         "audio/mpeg",
	".ogg":         "audio/ogg",
	".wav":         "audio/wav",
	".zip":         "application/zip",
}
