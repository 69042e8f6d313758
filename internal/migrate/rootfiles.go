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

// LoadRootFiles reads _redirects and _headers from the top of root and adds
// their rules to cfg: their redirects, rewrites and proxies come before
// static.toml's (the first match wins), their header tables before
// static.toml's (a later table wins). That is Netlify's order, where the
// _redirects file is read before netlify.toml, so a site whose netlify.toml
// was migrated into static.toml keeps its behaviour. A rule that cannot be
// honoured fails with the file, the line and the reason; nothing is added
// then. It returns nil when neither file exists.
func LoadRootFiles(cfg *config.Config, root string) (*SiteRules, error) {
	var parts []*Imported
	out := &SiteRules{}
	var errs []error
	for _, name := range RootFiles {
		data, err := appfs.ReadFile(root, name, config.MaxFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
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
		return nil, config.JoinErrors(errs)
	}
	if len(out.Files) == 0 {
		return nil, nil
	}
	rules := config.Default()
	Prepend(rules, parts...)
	out.TOML = EncodeTOML(rules, nil)
	Prepend(cfg, parts...)
	if len(cfg.HeaderRules) > config.MaxHeaderRules {
		return nil, &config.Error{File: out.Files[len(out.Files)-1], Msg: config.TooManyHeaderRules + " with static.toml's", Hint: config.HeaderRulesHint}
	}
	return out, nil
}

// Prepend puts the rules of parts, in order, before those of cfg.
func Prepend(cfg *config.Config, parts ...*Imported) {
	var base config.Config
	for _, p := range parts {
		base.Redirects = append(base.Redirects, p.Config.Redirects...)
		base.Rewrites = append(base.Rewrites, p.Config.Rewrites...)
		base.Proxies = append(base.Proxies, p.Config.Proxies...)
		base.HeaderRules = append(base.HeaderRules, p.Config.HeaderRules...)
	}
	cfg.Redirects = append(base.Redirects, cfg.Redirects...)
	cfg.Rewrites = append(base.Rewrites, cfg.Rewrites...)
	cfg.Proxies = append(base.Proxies, cfg.Proxies...)
	cfg.HeaderRules = append(base.HeaderRules, cfg.HeaderRules...)
}
