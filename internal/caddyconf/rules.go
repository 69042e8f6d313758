package caddyconf

import "github.com/hardstatic/buildpack/internal/config"

// redirectsHandler is the static_redirects handler of the [[redirects]],
// in file order. Rules with force = false ask the site handler of root
// whether a file is served at the path.
func redirectsHandler(cfg *config.Config, root string) obj {
	rules := make([]obj, len(cfg.Redirects))
	h := obj{"handler": "static_redirects", "rules": rules}
	for i, r := range cfg.Redirects {
		rules[i] = obj{"from": r.From, "to": r.To, "status": r.Status}
		if !r.Forced() {
			rules[i]["force"] = false
			h["site"] = root
		}
		withConditions(rules[i], r.Conditions, "")
		if len(r.Country) > 0 {
			h["country_header"] = cfg.CountryHeader
		}
	}
	return h
}

// rewriteRules are the static_site handler's rewrites, in file order, and
// the country header when a rewrite reads it ("" otherwise).
func rewriteRules(cfg *config.Config) ([]obj, string) {
	rules := make([]obj, len(cfg.Rewrites))
	country := ""
	for i, r := range cfg.Rewrites {
		rules[i] = obj{"from": r.From, "to": r.To}
		if r.StatusCode() != config.DefaultRewriteStatus {
			rules[i]["status"] = r.StatusCode()
		}
		if r.Force {
			rules[i]["force"] = true
		}
		withConditions(rules[i], r.Conditions, "")
		if len(r.Country) > 0 {
			country = cfg.CountryHeader
		}
	}
	return rules, country
}

// withConditions adds the conditions that are set to a rule (the JSON
// names of config.Conditions, which staticsite.Conditions reads), and the
// country header when one is given and a country condition reads it.
func withConditions(rule obj, c config.Conditions, countryHeader string) obj {
	if len(c.Query) > 0 {
		rule["query"] = c.Query
	}
	if len(c.Language) > 0 {
		rule["language"] = c.Language
	}
	if len(c.Country) > 0 {
		rule["country"] = c.Country
		if countryHeader != "" {
			rule["country_header"] = countryHeader
		}
	}
	if len(c.Has) > 0 {
		rule["has"] = c.Has
	}
	if len(c.Missing) > 0 {
		rule["missing"] = c.Missing
	}
	return rule
}

// siteConditions adds to the static_site handler the country header its
// rewrites read, and nearest_not_found: a miss gets the nearest 404.html
// (the file table decides) unless not_found pins one page.
func siteConditions(site obj, cfg *config.Config, rewriteCountry string) {
	if rewriteCountry != "" {
		site["country_header"] = rewriteCountry
	}
	if cfg.NearestNotFound {
		site["nearest_not_found"] = true
	}
}
