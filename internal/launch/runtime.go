package launch

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"

	_ "github.com/caddyserver/caddy/v2/modules/metrics" // http.handlers.metrics

	"github.com/hardstatic/buildpack/internal/caddyconf"
	"github.com/hardstatic/buildpack/internal/config"
)

// Launch-time switches: the same image, different environments.
const (
	PreviewEnv          = "STATIC_PREVIEW"
	MaintenanceEnv      = "STATIC_MAINTENANCE"
	RetryAfterEnv       = "STATIC_MAINTENANCE_RETRY_AFTER"
	MetricsListenEnv    = "STATIC_METRICS_LISTEN"
	PublicPrefixEnv     = "STATIC_PUBLIC_PREFIX"
	DefaultPublicPrefix = "PUBLIC_"
	DefaultRetryAfter   = 300
	maxRetryAfterSecond = 7 * 24 * 3600
)

// runtimeSwitches reads the launch-time switches and says on log which are
// on. listen is the site's own address, which metrics may not share.
func runtimeSwitches(lookup config.Lookup, environ []string, secret string, listen string, log io.Writer) (caddyconf.Runtime, error) {
	var rt caddyconf.Runtime
	var err error
	get := func(name string) string { v, _ := lookup(name); return v }
	if rt.Preview, err = parseBool(PreviewEnv, get(PreviewEnv)); err != nil {
		return rt, UsageError{err}
	}
	if rt.Maintenance, err = parseBool(MaintenanceEnv, get(MaintenanceEnv)); err != nil {
		return rt, UsageError{err}
	}
	rt.RetryAfter = DefaultRetryAfter
	if v := strings.TrimSpace(get(RetryAfterEnv)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRetryAfterSecond {
			return rt, UsageError{fmt.Errorf("%s=%q is not a number of seconds (1-%d)", RetryAfterEnv, v, maxRetryAfterSecond)}
		}
		rt.RetryAfter = n
	}
	if v := strings.TrimSpace(get(MetricsListenEnv)); v != "" {
		addr, err := metricsAddress(v, listen)
		if err != nil {
			return rt, UsageError{err}
		}
		rt.MetricsListen = addr
	}
	prefix := DefaultPublicPrefix
	if v, ok := lookup(PublicPrefixEnv); ok {
		prefix = v
	}
	if !validPrefix(prefix) {
		return rt, UsageError{fmt.Errorf("%s=%q: the prefix must be upper-case letters, digits and _, start with a letter and end with _ (such as PUBLIC_)", PublicPrefixEnv, prefix)}
	}
	rt.PublicEnv = publicEnv(environ, prefix, secret)
	if rt.Preview {
		fmt.Fprintf(log, "static-server: preview (%s): every response carries X-Robots-Tag: noindex; /robots.txt disallows all crawlers\n", PreviewEnv)
	}
	if rt.Maintenance {
		fmt.Fprintf(log, "static-server: maintenance (%s): every request but /.well-known/ gets 503 with Retry-After: %d and %s (or a plain page)\n",
			MaintenanceEnv, rt.RetryAfter, "maintenance.html")
	}
	if rt.MetricsListen != "" {
		fmt.Fprintf(log, "static-server: metrics (%s): Prometheus metrics on http://%s%s, not on the site's port\n",
			MetricsListenEnv, displayAddr(rt.MetricsListen), caddyconf.MetricsPath)
	}
	names := make([]string, 0, len(rt.PublicEnv))
	for n := range rt.PublicEnv {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		fmt.Fprintf(log, "static-server: runtime config: no %s* variables; %s is {}\n", prefix, caddyconf.EnvJSPath)
	} else {
		fmt.Fprintf(log, "static-server: runtime config: %s and %s expose %s (the %s* variables; values not logged)\n",
			caddyconf.EnvJSPath, caddyconf.EnvJSONPath, strings.Join(names, ", "), prefix)
	}
	fmt.Fprintf(log, "static-server: probe: GET %s answers 200 ok (no credentials, not logged)\n", caddyconf.ProbePath)
	return rt, nil
}

// publicEnv picks the variables the page may see: those named with the
// prefix, never the server's own (STATIC_*, BASIC_AUTH_*, CNB_*) nor the
// basic-auth accounts' variable.
func publicEnv(environ []string, prefix, secret string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, prefix) || name == secret {
			continue
		}
		if strings.HasPrefix(name, "STATIC_") || strings.HasPrefix(name, "BASIC_AUTH_") || strings.HasPrefix(name, "CNB_") {
			continue
		}
		out[name] = value
	}
	return out
}

func validPrefix(p string) bool {
	if len(p) < 2 || p[0] < 'A' || p[0] > 'Z' || !strings.HasSuffix(p, "_") {
		return false
	}
	for _, c := range p {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// metricsAddress checks a metrics listen address: ":9090", "9090" or
// "127.0.0.1:9090", never the site's own port.
func metricsAddress(v, listen string) (string, error) {
	if _, err := strconv.Atoi(v); err == nil {
		v = ":" + v
	}
	host, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%s=%q is not a listen address (write :9090 or 127.0.0.1:9090)", MetricsListenEnv, v)
	}
	if _, sitePort, _ := net.SplitHostPort(listen); sitePort == port {
		return "", fmt.Errorf("%s=%q is the site's own port %s: metrics are never served on the public port; pick another port", MetricsListenEnv, v, port)
	}
	return net.JoinHostPort(host, port), nil
}

func displayAddr(a string) string {
	if strings.HasPrefix(a, ":") {
		return "0.0.0.0" + a
	}
	return a
}

// parseBool reads an on/off value: true/1/yes/on, false/0/no/off or unset.
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "", "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q: use true or false", name, v)
}
