package staticsite

import (
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"golang.org/x/crypto/bcrypt"
)

// AuthUserVar is the Caddy variable that holds the user name once a
// request's credentials were checked, so that no later handler asks again.
const AuthUserVar = "static_auth_user"

// Auth is basic authentication for protected files and paths.
type Auth struct {
	// Realm shown by browsers. Default: "Restricted".
	Realm string `json:"realm,omitempty"`
	// Accounts are the users and their bcrypt hashes. Required.
	Accounts []Account `json:"accounts"`
	// Paths are the protected path globs. Default: every path but
	// /.well-known/.
	Paths []string `json:"paths,omitempty"`
}

// Account is one basic-auth user.
type Account struct {
	Username string `json:"username"`
	Password string `json:"password"` // bcrypt hash
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
	return bcryptAuth{realm: a.Realm, users: a.Accounts}, nil
}

// authenticated reports whether an earlier handler checked the request's
// credentials.
func authenticated(r *http.Request) bool {
	if u, _ := caddyhttp.GetVar(r.Context(), AuthUserVar).(string); u != "" {
		return true
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		if u, _ := repl.GetString("http.auth.user.id"); u != "" {
			return true
		}
	}
	return false
}

// bcryptAuth is the plain authenticator.
type bcryptAuth struct {
	realm string
	users []Account
}

func (b bcryptAuth) Authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	if ok {
		for _, a := range b.users {
			if a.Username == user && bcrypt.CompareHashAndPassword([]byte(a.Password), []byte(pass)) == nil {
				caddyhttp.SetVar(r.Context(), AuthUserVar, user)
				return user, true
			}
		}
	}
	realm := b.realm
	if realm == "" {
		realm = "Restricted"
	}
	w.Header().Set("WWW-Authenticate", "Basic realm="+strconv.Quote(realm)+`, charset="UTF-8"`)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "401 unauthorized", http.StatusUnauthorized)
	return "", false
}
