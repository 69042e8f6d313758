// Package launch turns what the build decided (the site manifest) and the
// launch environment (PORT, ${VAR} values, basic-auth users) into the Caddy
// configuration, and links in exactly the Caddy modules that configuration
// uses. The image's server and the benchmark's profiling server share it.
package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	// Only the Caddy modules the generated configuration uses.
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/requestbody"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	_ "github.com/caddyserver/caddy/v2/modules/logging"

	_ "github.com/hardstatic/buildpack/internal/accesslog" // the access log's writer

	"github.com/hardstatic/buildpack/internal/basicauth" // static_basic_auth
	"github.com/hardstatic/buildpack/internal/caddyconf"
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/connlimit" // static_limit
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/site/table"
	_ "github.com/hardstatic/buildpack/internal/staticsite" // static_site, static_front, static_protected, static_redirects, static_proxy_path, static_proxy_guard
)

// UsageError marks errors the user fixes by changing the command line or
// the environment (exit status 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e UsageError) Unwrap() error { return e.Err }

// Environment is what the server takes from its process at launch.
type Environment struct {
	// Lookup finds a variable, like os.LookupEnv.
	Lookup config.Lookup
	// Environ lists the variables as NAME=value, like os.Environ.
	Environ []string
	// Log receives what the server says before it starts, like os.Stderr.
	Log io.Writer
}

// Process is the server process's own environment.
func Process() Environment {
	return Environment{Lookup: os.LookupEnv, Environ: os.Environ(), Log: os.Stderr}
}

// Config reads the manifest the build wrote and turns it, the PORT and the
// process's environment into the Caddy JSON the server loads (CaddyJSON).
// app is the app directory.
func Config(manifestPath, port, app string) ([]byte, error) {
	if manifestPath == "" {
		return nil, UsageError{errors.New("no site manifest: pass --manifest FILE (the build writes it into the site layer)")}
	}
	m, err := manifest.Read(manifestPath)
	if err != nil {
		return nil, err
	}
	if m.FilesIndex == "" {
		// An image built before the manifest named its file table: the
		// site layer's launch environment points at it.
		m.FilesIndex = os.Getenv(table.EnvVar)
	}
	return CaddyJSON(m, port, app, Process())
}

// CaddyJSON turns what the build decided (m) and the launch environment
// (PORT, ${VAR} values, basic-auth users, switches) into the Caddy JSON the
// server loads. app is the app directory. m is not changed.
func CaddyJSON(m manifest.Manifest, port, app string, env Environment) ([]byte, error) {
	listen, err := listenAddress(port)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(filepath.Join(app, m.Root))
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("the site root %s does not exist; was the image built from this app?", root)
	}
	if m.Config == nil {
		m.Config = config.Default()
	}
	cfg, err := resolve(m, env)
	if err != nil {
		return nil, err
	}
	users, err := basicAuthUsers(cfg.BasicAuth, env)
	if err != nil {
		return nil, err
	}
	secret := "" // the accounts are never exposed to the page
	if cfg.BasicAuth != nil {
		secret = cfg.BasicAuth.UsersEnv
	}
	if users == nil {
		cfg.BasicAuth = nil // BASIC_AUTH_DISABLED: basic auth is off
	}
	rt, err := runtimeSwitches(env.Lookup, env.Environ, secret, listen, env.Log)
	if err != nil {
		return nil, err
	}
	site := caddyconf.Site{
		Listen:       listen,
		Root:         root,
		Hide:         m.Hide,
		Headers:      m.Headers,
		PolicyHeader: m.PolicyHeader,
		FilesIndex:   m.FilesIndex,
		Config:       cfg,
		Users:        users,

		PagePolicies: m.PagePolicies,
		Runtime:      rt,
	}
	if err := connectionLimits(&site, env.Lookup, env.Log); err != nil {
		return nil, err
	}
	if site.AccessLog, err = accessLog(cfg, env.Lookup); err != nil {
		return nil, err
	}
	return caddyconf.Build(site)
}

// resolve is the manifest's configuration with ${VAR} resolved from the
// environment, once the Heroku check has passed.
func resolve(m manifest.Manifest, env Environment) (*config.Config, error) {
	cfg, err := m.Config.ResolveVars(env.Lookup)
	if err != nil {
		return nil, err
	}
	if m.Config.CanonicalHost != "" && cfg.CanonicalHost == "" {
		fmt.Fprintf(env.Log, "static-server: warning: %s canonical_host resolved to an empty string: other hosts are not redirected\n", config.FileName)
	}
	if err := herokuBasicAuth(m, env); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Launch environment of the connection limits and the access log.
const (
	EnvIdleTimeout    = "STATIC_IDLE_TIMEOUT"
	EnvTrustedProxies = "STATIC_TRUSTED_PROXIES"
	EnvAccessLog      = "STATIC_ACCESS_LOG"
)

// accessLog is the access-log mode: STATIC_ACCESS_LOG, else access_log.
func accessLog(cfg *config.Config, lookup config.Lookup) (string, error) {
	v, ok := lookup(EnvAccessLog)
	if !ok || v == "" {
		return cfg.AccessLog, nil
	}
	if !slices.Contains(config.AccessLogModes, v) {
		return "", UsageError{fmt.Errorf("%s=%q is not one of %s", EnvAccessLog, v, strings.Join(config.AccessLogModes, ", "))}
	}
	return v, nil
}

// connectionLimits sets the connection cap, the idle timeout and the trusted
// proxies from the environment (or the machine's limits), and logs the cap.
func connectionLimits(site *caddyconf.Site, lookup config.Lookup, log io.Writer) error {
	n, why, err := connlimit.Cap(lookup)
	if err != nil {
		return err
	}
	site.MaxConns = n
	fmt.Fprintf(log, "static-server: at most %s connections at once\n", why)
	if v, ok := lookup(EnvIdleTimeout); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("%s=%q is not a duration of at least 1s (such as 75s or 2m)", EnvIdleTimeout, v)
		}
		site.IdleTimeout = d
	}
	if v, ok := lookup(EnvTrustedProxies); ok {
		ranges, err := caddyconf.ParseTrustedProxies(v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvTrustedProxies, err)
		}
		site.TrustedProxies = ranges
	}
	return nil
}

// herokuBasicAuth fails closed for an app migrated from Heroku: there,
// setting BASIC_AUTH_USERNAME and BASIC_AUTH_PASSWORD password-protected the
// site; here only [basic_auth] does, so rather than serve to anyone a site
// its author believes protected, the server refuses to start.
func herokuBasicAuth(m manifest.Manifest, env Environment) error {
	lookup := env.Lookup
	if m.Source != config.StaticJSONName || m.Config.BasicAuth != nil {
		return nil
	}
	var set []string
	for _, name := range []string{"BASIC_AUTH_USERNAME", "BASIC_AUTH_PASSWORD"} {
		if v, _ := lookup(name); v != "" {
			set = append(set, name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	if v, _ := lookup("BASIC_AUTH_DISABLED"); v == "true" || v == "1" {
		fmt.Fprintf(env.Log, "static-server: BASIC_AUTH_DISABLED is set: %s ignored, the site is public\n", strings.Join(set, " and "))
		return nil
	}
	verb := "is"
	if len(set) > 1 {
		verb = "are"
	}
	return fmt.Errorf("%s %s set, which password-protected this app on Heroku, but its %s has no basic auth, so here the site would be public. "+
		"To protect it: add \"basic_auth\": true to %s (or a [basic_auth] table to a %s), rebuild, and set %s to user:bcrypt-hash entries "+
		"(make one with: static-server hash-password). To serve it publicly on purpose, unset %s or set BASIC_AUTH_DISABLED=true",
		strings.Join(set, " and "), verb, config.StaticJSONName, config.StaticJSONName, config.FileName, config.DefaultUsersEnv, strings.Join(set, " and "))
}

// basicAuthUsers reads the accounts for [basic_auth] from the environment;
// nil when basic auth is off. It fails closed: a configured but missing or
// empty variable stops the server, unless BASIC_AUTH_DISABLED=true turns
// basic auth off on purpose.
func basicAuthUsers(a *config.BasicAuth, env Environment) ([]caddyconf.Account, error) {
	if a == nil {
		return nil, nil
	}
	lookup := env.Lookup
	if v, _ := lookup("BASIC_AUTH_DISABLED"); v == "true" || v == "1" {
		fmt.Fprintln(env.Log, "static-server: BASIC_AUTH_DISABLED is set: basic auth is off")
		return nil, nil
	}
	raw, ok := lookup(a.UsersEnv)
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("basic auth is configured in %s but %s is not set; set it to user:bcrypt-hash entries "+
			"(make a hash with: static-server hash-password), or set BASIC_AUTH_DISABLED=true to serve without a password", config.FileName, a.UsersEnv)
	}
	var users []caddyconf.Account
	seen, costs := map[string]bool{}, map[int]bool{}
	for entry := range strings.FieldsFuncSeq(raw, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, hash, ok := strings.Cut(entry, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: an entry is not user:bcrypt-hash", a.UsersEnv)
		}
		cost, err := basicauth.CheckHash(hash)
		if err != nil {
			return nil, fmt.Errorf("%s: user %q: %w", a.UsersEnv, name, err)
		}
		costs[cost] = true
		if seen[name] {
			return nil, fmt.Errorf("%s: user %q appears twice", a.UsersEnv, name)
		}
		seen[name] = true
		users = append(users, caddyconf.Account{Username: name, Password: hash})
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s has no user:bcrypt-hash entries", a.UsersEnv)
	}
	if len(costs) > 1 {
		fmt.Fprintf(env.Log, "static-server: warning: the hashes in %s have different bcrypt costs: "+
			"response times tell the users of higher cost from unknown names; hash every password with the same cost\n", a.UsersEnv)
	}
	return users, nil
}

func listenAddress(port string) (string, error) {
	if port == "" {
		port = "8080"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", UsageError{fmt.Errorf("PORT=%q is not a port number (1-65535)", port)}
	}
	return ":" + port, nil
}
