package config

import (
	"strings"
	"testing"
)

// Header names are HTTP tokens (RFC 9110 section 5.6.2), as the HTTP stack
// sends them; anything else is refused with the key.
func TestHeaderNames(t *testing.T) {
	for _, name := range []string{"X-Frame-Options", "x_custom.v2", "X-A+B", "X~Trace!"} {
		src := "[headers.\"/x\"]\n\"" + name + "\" = \"y\"\n"
		if _, err := Parse(FileName, []byte(src)); err != nil {
			t.Errorf("header name %q: %v", name, err)
		}
	}
	for _, name := range []string{"Bad Name", "X:Y", "X/Y", "X{Y}", "Ünï", "X\\\"Y"} {
		src := "[headers.\"/x\"]\n\"" + name + "\" = \"y\"\n"
		_, err := Parse(FileName, []byte(src))
		if err == nil || !strings.Contains(err.Error(), "not a valid header name") {
			t.Errorf("header name %q: err = %v, want \"not a valid header name\"", name, err)
		}
	}
}
