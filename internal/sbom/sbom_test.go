package sbom

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func testInfo() *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/app/cmd/server",
		Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:abc="},
			{Path: "github.com/docker/docker", Version: "v28.0.0+incompatible"},
			{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1", Sum: "h1:def="}},
		},
		Settings: []debug.BuildSetting{{Key: "GOARCH", Value: "amd64"}, {Key: "-ldflags", Value: "-s -w"}},
	}
}

func TestFromBuildInfo(t *testing.T) {
	bom := FromBuildInfo(testInfo(), Options{
		ToolName: "hardstatic/static-site", ToolVersion: "0.1.0", MainVersion: "0.1.0",
		Licenses: Licenses{"github.com/spf13/cobra@v1.10.2": "Apache-2.0", "stdlib@go1.26.8": "BSD-3-Clause", "example.com/app@0.1.0": "MIT"},
	})
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Version != 1 {
		t.Fatalf("header: %+v", bom)
	}
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || len(bom.SerialNumber) != len("urn:uuid:")+36 {
		t.Errorf("serial number %q", bom.SerialNumber)
	}
	main := bom.Metadata.Component
	if main.Name != "example.com/app" || main.Version != "0.1.0" || main.PURL != "pkg:golang/example.com/app@0.1.0" || main.Type != "application" {
		t.Errorf("main component: %+v", main)
	}
	if len(main.Licenses) != 1 || main.Licenses[0].License.ID != "MIT" {
		t.Errorf("main licence: %+v", main.Licenses)
	}
	want := map[string]string{
		"pkg:golang/example.com/fork@v1.0.1":                         "",
		"pkg:golang/github.com/docker/docker@v28.0.0%2Bincompatible": "",
		"pkg:golang/github.com/spf13/cobra@v1.10.2":                  "Apache-2.0",
		"pkg:golang/stdlib@go1.26.8":                                 "BSD-3-Clause",
	}
	if len(bom.Components) != len(want) {
		t.Fatalf("components: %+v", bom.Components)
	}
	for i, c := range bom.Components {
		lic, ok := want[c.PURL]
		if !ok || c.BOMRef != c.PURL || c.Type != "library" {
			t.Errorf("unexpected component %+v", c)
		}
		if i > 0 && bom.Components[i-1].BOMRef >= c.BOMRef {
			t.Errorf("components not sorted at %d", i)
		}
		switch {
		case lic == "" && len(c.Licenses) != 0:
			t.Errorf("%s: licence %+v, want none (unknown)", c.PURL, c.Licenses)
		case lic != "" && (len(c.Licenses) != 1 || c.Licenses[0].License.ID != lic):
			t.Errorf("%s: licence %+v, want %s", c.PURL, c.Licenses, lic)
		}
		if c.Name == "example.com/fork" && !hasProperty(c, "golang:replaces", "example.com/old@v1.0.0") {
			t.Errorf("replacement not recorded: %+v", c)
		}
	}
	if len(bom.Dependencies) != 1 || bom.Dependencies[0].Ref != main.BOMRef || len(bom.Dependencies[0].DependsOn) != 4 {
		t.Errorf("dependencies: %+v", bom.Dependencies)
	}
	if bom.Metadata.Tools == nil || bom.Metadata.Tools.Components[0].Name != "hardstatic/static-site" {
		t.Errorf("tools: %+v", bom.Metadata.Tools)
	}
	// Same input, same document: no timestamp, a content-derived serial.
	again := FromBuildInfo(testInfo(), Options{MainVersion: "0.1.0", ToolName: "hardstatic/static-site", ToolVersion: "0.1.0",
		Licenses: Licenses{"github.com/spf13/cobra@v1.10.2": "Apache-2.0", "stdlib@go1.26.8": "BSD-3-Clause", "example.com/app@0.1.0": "MIT"}})
	a, _ := bom.JSON()
	b, _ := again.JSON()
	if string(a) != string(b) {
		t.Error("two documents of the same build differ")
	}
}

func hasProperty(c Component, name, value string) bool {
	for _, p := range c.Properties {
		if p.Name == name && p.Value == value {
			return true
		}
	}
	return false
}

// TestFromFile builds a small program and reads its real build information.
func TestFromFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := filepath.Join(t.TempDir(), "prog")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/hardstatic/buildpack/internal/cmd/licenses")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bom, err := FromFile(bin, Options{MainVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if bom.Metadata.Component.Name != "github.com/hardstatic/buildpack" || bom.Metadata.Component.Version != "1.2.3" {
		t.Errorf("main: %+v", bom.Metadata.Component)
	}
	if len(bom.Metadata.Component.Hashes) != 1 || len(bom.Metadata.Component.Hashes[0].Content) != 64 {
		t.Errorf("hash: %+v", bom.Metadata.Component.Hashes)
	}
	var stdlib bool
	for _, c := range bom.Components {
		stdlib = stdlib || strings.HasPrefix(c.PURL, "pkg:golang/stdlib@go1.")
	}
	if !stdlib {
		t.Errorf("no stdlib component: %+v", bom.Components)
	}
	// The document is valid JSON with the CycloneDX required fields.
	data, err := bom.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bomFormat", "specVersion", "serialNumber", "version", "metadata", "components"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in the document", k)
		}
	}
	if _, err := FromFile(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("FromFile of a missing file: no error")
	}
}

func TestClassify(t *testing.T) {
	mit := `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software ... The above copyright notice and this permission notice shall be included in all copies`
	bsd3 := `Redistribution and use in source and binary forms, with or without modification ...
Redistributions in binary form must reproduce ... Neither the name of Google Inc. nor the names of its
contributors may be used to endorse or promote products derived from this software`
	bsd2 := `Redistribution and use in source and binary forms, with or without
modification, are permitted ... Redistributions in binary form must reproduce the above copyright notice`
	apache := "                                 Apache License\n                           Version 2.0, January 2004"
	for _, tc := range []struct{ text, want string }{
		{mit, "MIT"},
		{bsd3, "BSD-3-Clause"},
		{bsd2, "BSD-2-Clause"},
		{apache, "Apache-2.0"},
		{"Mozilla Public License Version 2.0\n==================", "MPL-2.0"},
		{"Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted", "ISC"},
		{apache + "\n\nThird-party code:\n" + mit, ""}, // two licences: unknown
		{"All rights reserved.", ""},
	} {
		if got := Classify(tc.text); got != tc.want {
			t.Errorf("Classify(%.40q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestClassifyDirAndTable(t *testing.T) {
	dir := t.TempDir()
	if got := ClassifyDir(dir); got != "" {
		t.Errorf("no licence file: %q", got)
	}
	must(t, os.WriteFile(filepath.Join(dir, "LICENSE.md"), []byte("Mozilla Public License Version 2.0"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "license.go"), []byte("package x"), 0o644))
	if got := ClassifyDir(dir); got != "MPL-2.0" {
		t.Errorf("ClassifyDir = %q", got)
	}
	must(t, os.WriteFile(filepath.Join(dir, "COPYING"), []byte("Apache License Version 2.0"), 0o644))
	if got := ClassifyDir(dir); got != "" {
		t.Errorf("two different licences: %q, want unknown", got)
	}

	table := filepath.Join(dir, "t.json")
	if l, err := ReadLicenses(table); err != nil || len(l) != 0 {
		t.Fatalf("missing table: %v %v", l, err)
	}
	must(t, WriteLicenses(table, Licenses{"b@v1": "MIT", "a@v2": "ISC"}))
	l, err := ReadLicenses(table)
	if err != nil || l["a@v2"] != "ISC" || l["b@v1"] != "MIT" {
		t.Fatalf("round trip: %v %v", l, err)
	}
	must(t, os.WriteFile(table, []byte("{"), 0o644))
	if _, err := ReadLicenses(table); err == nil {
		t.Error("a corrupt table: no error")
	}
}

func TestPURL(t *testing.T) {
	for _, tc := range []struct{ path, version, want string }{
		{"github.com/BurntSushi/toml", "v1.6.0", "pkg:golang/github.com/BurntSushi/toml@v1.6.0"},
		{"gopkg.in/yaml.v3", "v3.0.1", "pkg:golang/gopkg.in/yaml.v3@v3.0.1"},
		{"x.org/a b", "", "pkg:golang/x.org/a%20b"},
	} {
		if got := PURL(tc.path, tc.version); got != tc.want {
			t.Errorf("PURL(%q, %q) = %q, want %q", tc.path, tc.version, got, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
