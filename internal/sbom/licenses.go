package sbom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// LicenseFileNames are the names Scan looks at in a module's root directory
// (matched case-insensitively, with or without an extension).
var LicenseFileNames = []string{"LICENSE", "LICENCE", "COPYING", "LICENSE-APACHE", "LICENSE-MIT"}

// licenseRules recognise the common licences of Go modules by phrases their
// texts always contain. Order matters only for documentation: Classify
// returns an identifier only when exactly one rule matches.
var licenseRules = []struct {
	id  string
	all []string
	not []string
}{
	{id: "Apache-2.0", all: []string{"apache license", "version 2.0"}},
	{id: "MIT", all: []string{"permission is hereby granted, free of charge, to any person obtaining a copy", "the above copyright notice and this permission notice shall be included"}},
	{id: "ISC", all: []string{"permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted"}},
	{id: "BSD-3-Clause", all: []string{"redistribution and use in source and binary forms", "may be used to endorse or promote products derived from this software"}},
	{id: "BSD-2-Clause", all: []string{"redistribution and use in source and binary forms", "redistributions in binary form must reproduce"}, not: []string{"endorse or promote"}},
	{id: "MPL-2.0", all: []string{"mozilla public license", "version 2.0"}},
}

// Classify returns the SPDX identifier of a licence text, or "" when it is
// not recognised or looks like more than one licence (a file that bundles
// third-party notices, say): unknown is better than wrong.
func Classify(text string) string {
	t := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	t = strings.NewReplacer("“", `"`, "”", `"`).Replace(t)
	var found []string
	for _, r := range licenseRules {
		ok := true
		for _, p := range r.all {
			ok = ok && strings.Contains(t, p)
		}
		for _, p := range r.not {
			ok = ok && !strings.Contains(t, p)
		}
		if ok {
			found = append(found, r.id)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// ClassifyDir classifies the licence files in a module's root directory; it
// returns "" unless they all name the same licence.
func ClassifyDir(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	id := ""
	for _, e := range entries {
		if e.IsDir() || !isLicenseFile(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name())) //nolint:gosec // a module cache file
		if err != nil {
			return ""
		}
		got := Classify(string(data))
		if got == "" || (id != "" && got != id) {
			return ""
		}
		id = got
	}
	return id
}

func isLicenseFile(name string) bool {
	base := strings.ToUpper(strings.TrimSuffix(name, filepath.Ext(name)))
	if strings.EqualFold(filepath.Ext(name), ".go") {
		return false
	}
	for _, n := range LicenseFileNames {
		if base == n || strings.ToUpper(name) == n {
			return true
		}
	}
	return false
}

// WriteLicenses writes a licence table as sorted, indented JSON.
func WriteLicenses(name string, l Licenses) error {
	data, err := json.MarshalIndent(l, "", "  ") // encoding/json sorts map keys
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(data, '\n'), 0o644) //nolint:gosec // public data
}
