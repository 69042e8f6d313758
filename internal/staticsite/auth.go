package staticsite

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/basicauth"
)

// Auth is basic authentication for protected files: the same realm and
// accounts as the static_basic_auth route in front, so both share one
// basicauth.Authenticator (its cache of good credentials and its bound on
// bcrypt work).
type Auth struct {
	// Realm shown by browsers. Default: basicauth.DefaultRealm.
	Realm string `json:"realm,omitempty"`
	// Accounts are the users and their bcrypt hashes. Required.
	Accounts []basicauth.Account `json:"accounts"`
	// Paths are the protected path globs. Default: every path but
	// /.well-known/.
	Paths []string `json:"paths,omitempty"`
}

// Authenticator checks a request's credentials. When they are not good it
// has already written the answer (401, or 503 when it is saturated).
type Authenticator interface {
	Authenticate(w http.ResponseWriter, r *http.Request) (user string, ok bool)
}

func (a *Auth) paths() []string {
	if a == nil {
		return nil
	}
	return a.Paths
}

func (a *Auth) all() bool { return a != nil && len(a.Paths) == 0 }

func (a *Auth) authenticator() (Authenticator, error) {
	return basicauth.Shared(a.Realm, a.Accounts)
}

// authenticated reports whether an earlier handler (the static_basic_auth
// route) already let the request's credentials through.
func authenticated(r *http.Request) bool {
	u, _ := caddyhttp.GetVar(r.Context(), basicauth.UserVar).(string)
	return u != ""
}

// authorized asks for credentials before a protected entry is served and
// reports whether it may be: the file's own protection, whatever URL led
// to it. When it may not, the answer (401, or 503) is written.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request, e *entry) bool {
	if !e.protected || h.auth == nil || authenticated(r) {
		return true
	}
	user, ok := h.auth.Authenticate(w, r)
	if ok {
		caddyhttp.SetVar(r.Context(), basicauth.UserVar, user)
	}
	return ok
}
