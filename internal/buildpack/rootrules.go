package buildpack

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/migrate"
)

// loadRootRules returns cfg with the rules of the root's _redirects and
// _headers (Netlify / Cloudflare Pages) ahead of static.toml's, and logs
// them as static.toml. A rule that cannot be honoured fails the build.
func loadRootRules(cfg *config.Config, abs string, log logger) (*config.Config, []string, error) {
	cfg, rules, err := migrate.LoadRootFiles(cfg, abs)
	if err != nil || rules == nil {
		return cfg, nil, err
	}
	log.Step("Rules: %s in the root, applied before %s's (never served). Their %s equivalent:",
		strings.Join(rules.Files, " and "), config.FileName, config.FileName)
	log.Detail("%s", block(strings.TrimRight(string(rules.TOML), "\n")))
	for _, n := range rules.Notes {
		log.Warn("%s", n)
	}
	return cfg, rules.Files, nil
}

// warnOtherHosts names the other hosts' configuration files of the app that
// the build does not read, unless a static.toml says how the site is
// served: their rules would otherwise be dropped without a word.
func warnOtherHosts(appDir, source string, log logger) {
	if source == config.FileName {
		return
	}
	for _, name := range []string{migrate.NetlifyTOML, migrate.VercelJSON, migrate.FirebaseJSON} {
		if _, err := os.Lstat(filepath.Join(appDir, name)); err == nil {
			log.Warn("%s is not read by this buildpack: none of its rules apply. `static-server migrate %s` prints the equivalent %s to commit", name, name, config.FileName)
		}
	}
}
