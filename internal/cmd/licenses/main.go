// Command licenses writes the licence table the build uses for the server's
// SBOM: for every module a Go package links (go list -deps), the SPDX
// identifier of the licence files in its module directory, where they name
// one licence unambiguously. `make build` runs it:
//
//	go run ./internal/cmd/licenses -o bin/static-server.licenses.json ./server
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hardstatic/buildpack/internal/sbom"
)

func main() {
	out := flag.String("o", "", "the JSON file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: licenses -o FILE PACKAGE...")
		os.Exit(2)
	}
	table, err := collect(flag.Args())
	if err == nil {
		err = sbom.WriteLicenses(*out, table)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "licenses:", err)
		os.Exit(1)
	}
}

func collect(pkgs []string) (sbom.Licenses, error) {
	const format = `{{with .Module}}{{if .Replace}}{{.Replace.Path}}@{{.Replace.Version}}	{{.Replace.Dir}}` +
		`{{else}}{{.Path}}@{{.Version}}	{{.Dir}}{{end}}{{end}}`
	args := append([]string{"list", "-deps", "-f", format}, pkgs...)
	listing, err := goCmd(args...)
	if err != nil {
		return nil, err
	}
	table := sbom.Licenses{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(listing))
	for sc.Scan() {
		key, dir, ok := strings.Cut(sc.Text(), "\t")
		if !ok || seen[key] || strings.HasSuffix(key, "@") { // the main module has no version
			continue
		}
		seen[key] = true
		if id := sbom.ClassifyDir(dir); id != "" {
			table[key] = id
		}
	}
	env, err := goCmd("env", "GOROOT", "GOVERSION")
	if err != nil {
		return nil, err
	}
	if f := strings.Fields(string(env)); len(f) == 2 {
		data, err := os.ReadFile(filepath.Join(f[0], "LICENSE")) //nolint:gosec // the Go toolchain's licence
		if err == nil {
			if id := sbom.Classify(string(data)); id != "" {
				table["stdlib@"+f[1]] = id
			}
		}
	}
	return table, nil
}

func goCmd(args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...) //nolint:gosec // fixed program, our arguments
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}
