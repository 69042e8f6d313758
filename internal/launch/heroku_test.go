package launch

import (
	"io"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/manifest"
)

func TestHerokuBasicAuthFailsClosed(t *testing.T) {
	heroku := manifest.Manifest{Source: config.StaticJSONName, Config: config.Default()}
	protected := manifest.Manifest{Source: config.StaticJSONName, Config: config.Default()}
	protected.Config.BasicAuth = &config.BasicAuth{UsersEnv: config.DefaultUsersEnv}
	own := manifest.Manifest{Source: config.FileName, Config: config.Default()}
	for _, c := range []struct {
		name string
		m    manifest.Manifest
		env  map[string]string
		want string // "" for no error
	}{
		{"heroku vars set", heroku, map[string]string{"BASIC_AUTH_USERNAME": "ann", "BASIC_AUTH_PASSWORD": "$apr1$x"},
			"BASIC_AUTH_USERNAME and BASIC_AUTH_PASSWORD are set, which password-protected this app on Heroku"},
		{"only the password", heroku, map[string]string{"BASIC_AUTH_PASSWORD": "x"}, "static-server hash-password"},
		{"disabled on purpose", heroku, map[string]string{"BASIC_AUTH_USERNAME": "ann", "BASIC_AUTH_DISABLED": "true"}, ""},
		{"no heroku vars", heroku, map[string]string{"BASIC_AUTH_USERNAME": ""}, ""},
		{"static.json with basic_auth", protected, map[string]string{"BASIC_AUTH_USERNAME": "ann"}, ""},
		{"static.toml", own, map[string]string{"BASIC_AUTH_USERNAME": "ann"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := herokuBasicAuth(c.m, Environment{Lookup: func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }, Log: io.Discard})
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
}
