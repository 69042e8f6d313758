package buildpack

import (
	"fmt"
	"path/filepath"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/sbom"
)

// writeServerSBOM describes the server binary in the layer's CycloneDX SBOM
// (<layers>/server.sbom.cdx.json), which the lifecycle puts into the image
// under /layers/sbom/launch/. Licences come from the table `make build`
// writes next to the binary; a module missing from it has no licence.
func writeServerSBOM(ctx libcnb.BuildContext, layer libcnb.Layer, binary string) error {
	table, err := sbom.ReadLicenses(filepath.Join(ctx.Buildpack.Path, "bin", ServerBinary+".licenses.json"))
	if err != nil {
		return fmt.Errorf("reading the licence table: %w", err)
	}
	if len(ctx.Buildpack.Info.Licenses) == 1 && ctx.Buildpack.Info.Licenses[0].Type != "" {
		table[mainModule+"@"+ctx.Buildpack.Info.Version] = ctx.Buildpack.Info.Licenses[0].Type
	}
	bom, err := sbom.FromFile(binary, sbom.Options{
		ToolName:    ctx.Buildpack.Info.ID,
		ToolVersion: ctx.Buildpack.Info.Version,
		MainVersion: ctx.Buildpack.Info.Version,
		Licenses:    table,
	})
	if err != nil {
		return err
	}
	return bom.Write(layer.SBOMPath(libcnb.CycloneDXJSON))
}

// mainModule is this repository's Go module, the main module of the server.
const mainModule = "github.com/hardstatic/buildpack"
