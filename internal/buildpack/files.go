package buildpack

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/site"
	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// variantsLayerName is the cached launch layer holding the precompressed
// variants, named by content hash, so a rebuild compresses only new content.
const variantsLayerName = "compressed"

// contributeFiles analyses the site root, keeps the compressed variants in a
// cached launch layer and writes the file table into the site layer; m
// names the table for the server.
func contributeFiles(ctx libcnb.BuildContext, m *manifest.Manifest, tree *sitefs.Tree, siteLayer *libcnb.Layer, log logger) (libcnb.Layer, error) {
	layer, err := ctx.Layers.Layer(variantsLayerName)
	if err != nil {
		return libcnb.Layer{}, err
	}
	if layer.Metadata["settings"] != site.Settings {
		if layer, err = layer.Reset(); err != nil {
			return libcnb.Layer{}, err
		}
	}
	charset := ""
	if m.Config != nil {
		charset = m.Config.Charset
	}
	root := filepath.Join(ctx.ApplicationPath, filepath.FromSlash(m.Root))
	t, st, err := site.Analyze(site.Options{Root: root, Tree: tree, Charset: charset, Variants: layer.Path})
	if err != nil {
		return libcnb.Layer{}, fmt.Errorf("analysing the site files: %w", err)
	}
	file := filepath.Join(siteLayer.Path, table.FileName)
	if err := table.Write(file, t); err != nil {
		return libcnb.Layer{}, fmt.Errorf("writing the file table: %w", err)
	}
	m.FilesIndex = file
	m.Files = &manifest.Files{Count: st.Files, Bytes: st.Bytes, Summary: st.Summary()}

	log.Step("Files: %s", st.Summary())
	if st.Reused > 0 && st.New == 0 {
		log.Detail("Compressed variants: reusing cached layer (%d contents unchanged)", st.Reused)
	} else if st.Reused > 0 {
		log.Detail("Compressed variants: reused %d cached, compressed %d new", st.Reused, st.New)
	}
	if len(st.EncBytes) > 0 {
		var parts []string
		for _, enc := range table.Encodings {
			if n, ok := st.EncBytes[enc]; ok {
				parts = append(parts, fmt.Sprintf("%s %s", enc, site.HumanBytes(n)))
			}
		}
		log.Detail("Variant bytes: %s (kept only where smaller than the file)", strings.Join(parts, ", "))
	}
	if st.Skipped > 0 {
		log.Warn("%d files changed or vanished while the build read them: they are not served", st.Skipped)
	}
	classes := map[string]int{}
	for _, f := range t.Files {
		classes[f.CacheControl]++
	}
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		log.Debug("Cache-Control %q: %d files", k, classes[k])
	}
	layer.Metadata = map[string]any{"settings": site.Settings}
	layer.LayerTypes = libcnb.LayerTypes{Launch: true, Cache: true}
	return layer, nil
}
