package launch

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/internal/caddyconf"
)

func lookupIn(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConnectionLimits(t *testing.T) {
	var site caddyconf.Site
	err := connectionLimits(&site, lookupIn(map[string]string{
		"STATIC_MAX_CONNECTIONS": "1000", "STATIC_IDLE_TIMEOUT": "2m", "STATIC_TRUSTED_PROXIES": "10.8.0.0/16, 192.0.2.7",
	}), io.Discard)
	if err != nil || site.MaxConns != 1000 || site.IdleTimeout != 2*time.Minute ||
		strings.Join(site.TrustedProxies, " ") != "10.8.0.0/16 192.0.2.7/32" {
		t.Errorf("connectionLimits: %+v, %v", site, err)
	}
	site = caddyconf.Site{}
	if err := connectionLimits(&site, lookupIn(nil), io.Discard); err != nil || site.MaxConns < 64 || site.IdleTimeout != 0 || site.TrustedProxies != nil {
		t.Errorf("defaults: max %d idle %v trusted %v, %v; want a computed cap and the built-in idle timeout and ranges",
			site.MaxConns, site.IdleTimeout, site.TrustedProxies, err)
	}
	for env, want := range map[string]string{
		"STATIC_MAX_CONNECTIONS": `STATIC_MAX_CONNECTIONS="lots" is not a number of connections`,
		"STATIC_IDLE_TIMEOUT":    `STATIC_IDLE_TIMEOUT="lots" is not a duration of at least 1s`,
		"STATIC_TRUSTED_PROXIES": `STATIC_TRUSTED_PROXIES: "lots" is not an address range`,
	} {
		err := connectionLimits(&caddyconf.Site{}, lookupIn(map[string]string{env: "lots"}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=lots: %v, want %q", env, err, want)
		}
	}
}
