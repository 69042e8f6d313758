// Package sbom describes a Go program as a CycloneDX 1.5 JSON software bill
// of materials, from the build information the Go linker embeds in it: the
// main module, every dependency module with its version and package URL, and
// the Go standard library. Licences come from a table made at build time
// from the modules' licence files (see Classify and cmd/licenses); a module
// whose licence is unknown has none rather than a guess.
package sbom

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Licenses maps "module@version" (and "stdlib@goX.Y.Z") to an SPDX licence
// identifier.
type Licenses map[string]string

// ReadLicenses reads a licence table written by WriteLicenses. A missing file
// is an empty table.
func ReadLicenses(name string) (Licenses, error) {
	data, err := os.ReadFile(name) //nolint:gosec // a file of the buildpack itself
	if os.IsNotExist(err) {
		return Licenses{}, nil
	}
	if err != nil {
		return nil, err
	}
	var l Licenses
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// Options name the tool that wrote the document and fill in what the build
// information lacks.
type Options struct {
	// ToolName and ToolVersion describe the generator (the buildpack).
	ToolName, ToolVersion string
	// MainVersion is the main module's version when the build information has
	// none ("(devel)", as with -trimpath builds from a work tree).
	MainVersion string
	// Licenses are SPDX identifiers by "module@version".
	Licenses Licenses
}

// BOM is a CycloneDX 1.5 document (the subset this package writes).
type BOM struct {
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	SerialNumber string       `json:"serialNumber"`
	Version      int          `json:"version"`
	Metadata     Metadata     `json:"metadata"`
	Components   []Component  `json:"components"`
	Dependencies []Dependency `json:"dependencies"`
}

// Metadata is the document's subject and generator.
type Metadata struct {
	Tools     *Tools    `json:"tools,omitempty"`
	Component Component `json:"component"`
}

// Tools lists the generators.
type Tools struct {
	Components []Component `json:"components"`
}

// Component is a program or a module.
type Component struct {
	BOMRef     string     `json:"bom-ref,omitempty"`
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	PURL       string     `json:"purl,omitempty"`
	Licenses   []License  `json:"licenses,omitempty"`
	Hashes     []Hash     `json:"hashes,omitempty"`
	Properties []Property `json:"properties,omitempty"`
}

// License is one licence choice of a component.
type License struct {
	License struct {
		ID string `json:"id"`
	} `json:"license"`
}

// Hash is a digest of a component.
type Hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

// Property is a name-value annotation.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Dependency says which components a component depends on.
type Dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// FromFile reads the build information of the Go program at path and
// describes it; the program's SHA-256 goes on the main component.
func FromFile(path string, opts Options) (*BOM, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the Go build information of %s: %w", path, err)
	}
	bom := FromBuildInfo(info, opts)
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	bom.Metadata.Component.Hashes = []Hash{{Alg: "SHA-256", Content: sum}}
	return bom, nil
}

// FromBuildInfo describes a program from its build information. The output
// depends only on its inputs: no timestamp, and a serial number derived from
// the content, so that an unchanged program gives an identical document.
func FromBuildInfo(info *debug.BuildInfo, opts Options) *BOM {
	mainVersion := info.Main.Version
	if mainVersion == "" || mainVersion == "(devel)" {
		mainVersion = opts.MainVersion
	}
	mainPath := info.Main.Path
	if mainPath == "" {
		mainPath = info.Path
	}
	main := module(mainPath, mainVersion, "application", opts.Licenses)
	main.Name = mainPath
	if info.Path != "" && info.Path != mainPath {
		main.Properties = append(main.Properties, Property{Name: "golang:package", Value: info.Path})
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "GOOS", "GOARCH", "CGO_ENABLED", "-trimpath", "vcs.revision", "vcs.modified":
			main.Properties = append(main.Properties, Property{Name: "golang:build:" + s.Key, Value: s.Value})
		}
	}

	var comps []Component
	for _, d := range info.Deps {
		path, version, sum := d.Path, d.Version, d.Sum
		if d.Replace != nil {
			path, version, sum = d.Replace.Path, d.Replace.Version, d.Replace.Sum
		}
		c := module(path, version, "library", opts.Licenses)
		if d.Replace != nil {
			c.Properties = append(c.Properties, Property{Name: "golang:replaces", Value: d.Path + "@" + d.Version})
		}
		if sum != "" {
			c.Properties = append(c.Properties, Property{Name: "golang:sum", Value: sum})
		}
		comps = append(comps, c)
	}
	if info.GoVersion != "" {
		comps = append(comps, module("stdlib", info.GoVersion, "library", opts.Licenses))
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })

	deps := Dependency{Ref: main.BOMRef, DependsOn: []string{}}
	for _, c := range comps {
		deps.DependsOn = append(deps.DependsOn, c.BOMRef)
	}
	bom := &BOM{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		Version:      1,
		Metadata:     Metadata{Component: main},
		Components:   comps,
		Dependencies: []Dependency{deps},
	}
	if bom.Components == nil {
		bom.Components = []Component{}
	}
	if opts.ToolName != "" {
		bom.Metadata.Tools = &Tools{Components: []Component{{Type: "application", Name: opts.ToolName, Version: opts.ToolVersion}}}
	}
	bom.SerialNumber = serial(bom)
	return bom
}

// JSON is the document, indented.
func (b *BOM) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Write writes the document to name.
func (b *BOM) Write(name string) error {
	data, err := b.JSON()
	if err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644) //nolint:gosec // an SBOM is public
}

func module(path, version, typ string, licenses Licenses) Component {
	c := Component{Type: typ, Name: path, Version: version, PURL: PURL(path, version)}
	c.BOMRef = c.PURL
	if id := licenses[path+"@"+version]; id != "" {
		var l License
		l.License.ID = id
		c.Licenses = []License{l}
	}
	return c
}

// PURL is the package URL of a Go module version, pkg:golang/PATH@VERSION,
// with each path segment and the version percent-encoded as the purl
// specification requires (a "+incompatible" version becomes "%2Bincompatible").
func PURL(path, version string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := "pkg:golang/" + strings.Join(segs, "/")
	if version != "" {
		p += "@" + escape(version)
	}
	return p
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// serial derives an RFC 4122 URN from the document's content (a SHA-256 based
// name-derived UUID), so the same program gives the same serial number.
func serial(b *BOM) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s@%s\n", b.Metadata.Component.Name, b.Metadata.Component.Version)
	for _, c := range b.Components {
		fmt.Fprintf(h, "%s\n", c.BOMRef)
	}
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5 layout (name-based)
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path) //nolint:gosec // the program being described
	if err != nil {
		return "", err
	}
	defer f.Close() //nolint:errcheck // read-only
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}
