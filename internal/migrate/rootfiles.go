package migrate

import (
	"errors"
	"io/fs"

	"github.com/hardstatic/buildpack/internal/appfs"
	"github.com/hardstatic/buildpack/internal/config"
)

// RootFiles are the rule files of Netlify and Cloudflare Pages that the
// build reads from the top of the site root, in the order they apply.
var RootFiles = []string{RedirectsFile, HeadersFile}

// ConfigFiles are the configuration files of other hosts: none is ever
// served from the top of the site root (with static.toml and static.json).
var ConfigFiles = []string{RedirectsFile, HeadersFile, NetlifyTOML, VercelJSON, FirebaseJSON}

// SiteRules are the rules the build read from the site root.
type SiteRules struct {
	// Files are the files read, in RootFiles order.
	Files []string
	// Notes explain what behaves differently, one line each.
	Notes []string
	// TOML is the static.toml equivalent of the files' rules, for the log.
	TOML []byte
}

// LoadRootFiles reads _redirects and _headers from the top of root and
// returns a copy of cfg with their rules added (cfg is not changed): their
// redirects, rewrites and proxies come before static.toml's (the first match
// wins), their header tables before static.toml's (a later table wins).
// That is Netlify's order, where the _redirects file is read before
// netlify.toml, so a site whose netlify.toml was migrated into static.toml
// keeps its behaviour. A rule that cannot be honoured fails with the file,
// the line and the reason. With neither file, it returns cfg and nil.
func LoadRootFiles(cfg *config.Config, root string) (*config.Config, *SiteRules, error) {
	var parts []*Imported
	out := &SiteRules{}
	var errs []error
	for _, name := range RootFiles {
		data, err := appfs.ReadFile(root, name, config.MaxFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		imp, err := Convert(name, name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, imp.Refused...)
		out.Files = append(out.Files, name)
		out.Notes = append(out.Notes, imp.Notes...)
		parts = append(parts, imp)
	}
	if len(errs) > 0 {
		return nil, nil, config.JoinErrors(errs)
	}
	if len(out.Files) == 0 {
		return cfg, nil, nil
	}
	out.TOML = EncodeTOML(Prepend(config.Default(), parts...), nil)
	merged := Prepend(cfg, parts...)
	if len(merged.HeaderRules) > config.MaxHeaderRules {
		return nil, nil, &config.Error{File: out.Files[len(out.Files)-1], Msg: config.TooManyHeaderRules + " with static.toml's", Hint: config.HeaderRulesHint}
	}
	return merged, out, nil
}

// Prepend returns a copy of cfg with the rules of parts, in order, before
// its own; cfg is not changed.
func Prepend(cfg *config.Config, parts ...*Imported) *config.Config {
	r := *cfg
	r.Redirects, r.Rewrites, r.Proxies, r.HeaderRules = nil, nil, nil, nil
	for _, p := range parts {
		r.Redirects = append(r.Redirects, p.Config.Redirects...)
		r.Rewrites = append(r.Rewrites, p.Config.Rewrites...)
		r.Proxies = append(r.Proxies, p.Config.Proxies...)
		r.HeaderRules = append(r.HeaderRules, p.Config.HeaderRules...)
	}
	r.Redirects = append(r.Redirects, cfg.Redirects...)
	r.Rewrites = append(r.Rewrites, cfg.Rewrites...)
	r.Proxies = append(r.Proxies, cfg.Proxies...)
	r.HeaderRules = append(r.HeaderRules, cfg.HeaderRules...)
	return &r
}
