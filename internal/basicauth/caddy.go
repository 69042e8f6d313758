package basicauth

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// UserVar is the Caddy variable (caddyhttp.GetVar) that holds the user name
// once a request is authenticated; later handlers read it to know.
const UserVar = "static_auth_user"

// Handler is the Caddy module http.handlers.static_basic_auth: requests
// without matching credentials are answered 401 (or 503 when bcrypt work is
// saturated); others go on with UserVar set. Handlers configured with the
// same realm and accounts share one Authenticator (cache and limits).
type Handler struct {
	// Realm is shown in the browser's password prompt. Default: "Restricted".
	Realm string `json:"realm,omitempty"`
	// Accounts are the users and their bcrypt hashes. Required.
	Accounts []Account `json:"accounts"`

	auth *Authenticator
}

// DefaultRealm is the realm when none is configured.
const DefaultRealm = "Restricted"

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_basic_auth", New: func() caddy.Module { return new(Handler) }}
}

// Provision checks the accounts and finds the shared Authenticator.
func (h *Handler) Provision(caddy.Context) error {
	if h.Realm == "" {
		h.Realm = DefaultRealm
	}
	a, err := Shared(h.Realm, h.Accounts)
	h.auth = a
	return err
}

// ServeHTTP authenticates the request and calls next when it succeeds.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	user, ok := h.auth.Authenticate(w, r)
	if !ok {
		return nil
	}
	caddyhttp.SetVar(r.Context(), UserVar, user)
	// The access log's user_id.
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.auth.user.id", user)
	}
	return next.ServeHTTP(w, r)
}

// Interface guards.
var (
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ caddy.Provisioner           = (*Handler)(nil)
)
