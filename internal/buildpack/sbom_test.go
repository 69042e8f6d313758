package buildpack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/buildpacks/libcnb/v2"
)

// The server layer's SBOM describes the binary (here the test binary, also a
// Go program), with licences from the table next to it.
func TestWriteServerSBOM(t *testing.T) {
	bp, layers := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(bp, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	table := `{"stdlib@` + runtime.Version() + `": "BSD-3-Clause"}`
	if err := os.WriteFile(filepath.Join(bp, "bin", ServerBinary+".licenses.json"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := libcnb.BuildContext{Buildpack: libcnb.Buildpack{Path: bp, Info: libcnb.BuildpackInfo{
		ID: "hardstatic/static-site", Version: "9.9.9", Licenses: []libcnb.License{{Type: "Apache-2.0"}},
	}}}
	layer := libcnb.Layer{Name: serverLayerName, Path: filepath.Join(layers, serverLayerName)}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeServerSBOM(ctx, layer, self); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(layers, "server.sbom.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Component struct {
				Name, Version string
				Licenses      []struct{ License struct{ ID string } }
			}
		}
		Components []struct {
			PURL     string
			Licenses []struct{ License struct{ ID string } }
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Metadata.Component
	if doc.SpecVersion != "1.5" || m.Name != mainModule || m.Version != "9.9.9" || len(m.Licenses) != 1 || m.Licenses[0].License.ID != "Apache-2.0" {
		t.Errorf("main component: %+v", m)
	}
	// (A test binary records no dependency modules, only the toolchain.)
	var stdlib bool
	for _, c := range doc.Components {
		if c.PURL == "pkg:golang/stdlib@"+runtime.Version() {
			stdlib = len(c.Licenses) == 1 && c.Licenses[0].License.ID == "BSD-3-Clause"
		}
	}
	if !stdlib {
		t.Errorf("the Go standard library with its licence is not in the SBOM:\n%s", data)
	}
}
