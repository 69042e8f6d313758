package basicauth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"golang.org/x/crypto/bcrypt"
)

func hash(t testing.TB, pw string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// withCost rewrites the cost field of a valid hash (the hash no longer
// matches, but its cost is what is checked).
func withCost(h string, cost int) string {
	return h[:4] + fmt.Sprintf("%02d", cost) + h[6:]
}

func request(user, pass string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/page", nil)
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	return r
}

type answer struct {
	ok     bool
	user   string
	status int
	header http.Header
	body   string
}

func authenticate(a *Authenticator, r *http.Request) answer {
	w := httptest.NewRecorder()
	user, ok := a.Authenticate(w, r)
	res := answer{ok: ok, user: user}
	if !ok {
		res.status, res.header, res.body = w.Code, w.Header(), w.Body.String()
	} else if w.Code != http.StatusOK || w.Body.Len() > 0 || len(w.Header()) > 0 {
		res.status = -1 // wrote something on success
	}
	return res
}

func TestNewRefuses(t *testing.T) {
	good := hash(t, "pw", 4)
	for _, c := range []struct {
		name     string
		accounts []Account
		want     string
	}{
		{"no accounts", nil, "no accounts"},
		{"plain text", []Account{{"alice", "secret"}}, `user "alice": the password is not a bcrypt hash`},
		{"truncated", []Account{{"alice", good[:59]}}, `user "alice": the bcrypt hash is malformed (59 characters, want 60)`},
		{"cost 13", []Account{{"alice", withCost(good, 13)}}, `user "alice": the bcrypt cost 13 is over 12: every wrong password would keep a CPU core busy for about 1s`},
		{"cost 31", []Account{{"bob", withCost(good, 31)}}, `user "bob": the bcrypt cost 31 is over 12`},
		{"cost 3", []Account{{"alice", withCost(good, 3)}}, `user "alice": the bcrypt hash is malformed`},
		{"empty user", []Account{{"", good}}, "an account has an empty user name"},
		{"duplicate", []Account{{"alice", good}, {"alice", good}}, `user "alice" appears twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New("R", c.accounts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: error %v, want one containing %q", err, c.want)
			}
		})
	}
	for _, cost := range []int{MinCost, 5, 10} {
		if _, err := New("R", []Account{{"alice", hash(t, "pw", cost)}}); err != nil {
			t.Errorf("cost %d refused: %v", cost, err)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	a, err := New("Staff", []Account{{"alice", hash(t, "right", 4)}, {"bob", hash(t, "bobs", 4)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := authenticate(a, request("alice", "right")); !got.ok || got.user != "alice" {
		t.Fatalf("alice with her password: %+v", got)
	}
	if got := authenticate(a, request("bob", "bobs")); !got.ok || got.user != "bob" {
		t.Fatalf("bob with his password: %+v", got)
	}
	// Every failure gets the same answer.
	want := authenticate(a, request("", ""))
	if want.ok || want.status != 401 || want.body != "401 Unauthorized\n" ||
		want.header.Get("WWW-Authenticate") != `Basic realm="Staff"` || want.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("no credentials: %+v", want)
	}
	for name, r := range map[string]*http.Request{
		"wrong password":        request("alice", "wrong"),
		"another's password":    request("alice", "bobs"),
		"unknown user":          request("mallory", "right"),
		"empty password":        request("alice", ""),
		"case of the name":      request("Alice", "right"),
		"password over 72 B":    request("alice", "right"+strings.Repeat("x", 80)),
		"not basic":             func() *http.Request { r := request("", ""); r.Header.Set("Authorization", "Bearer x"); return r }(),
		"malformed base64":      func() *http.Request { r := request("", ""); r.Header.Set("Authorization", "Basic %%%"); return r }(),
		"no colon":              func() *http.Request { r := request("", ""); r.Header.Set("Authorization", "Basic YWxpY2U="); return r }(),
		"cached user, wrong pw": request("bob", "bobs2"),
	} {
		got := authenticate(a, r)
		if got.ok || got.status != want.status || got.body != want.body || got.header.Get("WWW-Authenticate") != want.header.Get("WWW-Authenticate") {
			t.Errorf("%s: %+v, want the same answer as without credentials %+v", name, got, want)
		}
	}
	// The scheme is case-insensitive (RFC 7617).
	r := request("", "")
	r.Header.Set("Authorization", "basic "+strings.TrimPrefix(request("alice", "right").Header.Get("Authorization"), "Basic "))
	if got := authenticate(a, r); !got.ok {
		t.Errorf("lower-case scheme: %+v", got)
	}
}

// holdAll takes every bcrypt slot of a, as concurrent logins would.
func holdAll(a *Authenticator) (release func()) {
	for range cap(a.sem) {
		a.sem <- struct{}{}
	}
	return func() {
		for range cap(a.sem) {
			<-a.sem
		}
	}
}

// With every bcrypt slot busy, cached credentials still pass (they cost no
// bcrypt run), while anything that needs one, an unknown user included,
// gets 503 with Retry-After after the queue wait.
func TestCacheAndSaturation(t *testing.T) {
	a, err := New("R", []Account{{"alice", hash(t, "right", 4)}}, WithConcurrency(2), WithQueueWait(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := authenticate(a, request("alice", "right")); !got.ok {
		t.Fatalf("first login: %+v", got)
	}
	release := holdAll(a)
	for i := range 30 {
		if got := authenticate(a, request("alice", "right")); !got.ok {
			t.Fatalf("request %d of a page's assets, while bcrypt is saturated: %+v; want the cached credentials to pass", i, got)
		}
	}
	for name, r := range map[string]*http.Request{
		"wrong password": request("alice", "wrong"),
		"unknown user":   request("mallory", "x"),
	} {
		got := authenticate(a, r)
		if got.ok || got.status != 503 || got.header.Get("Retry-After") != "1" || got.body != "503 Service Unavailable\n" {
			t.Errorf("%s while saturated: %+v, want 503 with Retry-After: 1", name, got)
		}
	}
	// A client that goes away stops waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow, _ := New("R", []Account{{"alice", hash(t, "right", 4)}}, WithConcurrency(1), WithQueueWait(time.Hour))
	releaseSlow := holdAll(slow)
	if got := authenticate(slow, request("alice", "right").WithContext(ctx)); got.ok || got.status != 503 {
		t.Errorf("cancelled while waiting: %+v, want 503", got)
	}
	releaseSlow()
	release()
	if got := authenticate(a, request("mallory", "x")); got.status != 401 {
		t.Errorf("after the slots are free: %+v, want 401", got)
	}
}

// Failed attempts are never cached; good ones at most once each, within the
// bound.
func TestCacheBounded(t *testing.T) {
	accounts := []Account{{"a", hash(t, "1", 4)}, {"b", hash(t, "2", 4)}, {"c", hash(t, "3", 4)}}
	a, err := New("R", accounts, WithCacheSize(2))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		authenticate(a, request("a", "wrong"+string(rune('a'+i%26))))
		authenticate(a, request("nobody"+string(rune('a'+i%26)), "1"))
	}
	if n := len(a.cache); n != 0 {
		t.Fatalf("after 100 failed attempts the cache has %d entries, want 0", n)
	}
	for range 5 {
		for i, acc := range accounts {
			if got := authenticate(a, request(acc.Username, string(rune('1'+i)))); !got.ok {
				t.Fatalf("%s: %+v", acc.Username, got)
			}
			if n := len(a.cache); n > 2 {
				t.Fatalf("the cache has %d entries, over its bound of 2", n)
			}
		}
	}
}

// The unknown-user comparison costs what a known user's does.
func TestDummyCost(t *testing.T) {
	for _, c := range []struct{ costs []int }{{[]int{4}}, {[]int{5, 5}}, {[]int{6, 4}}} {
		var accounts []Account
		for i, cost := range c.costs {
			accounts = append(accounts, Account{string(rune('a' + i)), hash(t, "pw", cost)})
		}
		a, err := New("R", accounts)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := bcrypt.Cost(a.dummy)
		if want := min(c.costs[0], c.costs[len(c.costs)-1]); got != want {
			t.Errorf("users of cost %v: the unknown-user hash has cost %d, want %d", c.costs, got, want)
		}
	}
}

func TestRealmQuoted(t *testing.T) {
	a, err := New("Team \"A\" \\ ops\r\nX-Injected: 1", []Account{{"a", hash(t, "pw", 4)}})
	if err != nil {
		t.Fatal(err)
	}
	got := authenticate(a, request("", "")).header.Get("WWW-Authenticate")
	if want := `Basic realm="Team \"A\" \\ ops  X-Injected: 1"`; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
}

func TestShared(t *testing.T) {
	x, y := Account{"x", hash(t, "1", 4)}, Account{"y", hash(t, "2", 4)}
	a1, err := Shared("R", []Account{x, y})
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := Shared("R", []Account{y, x})
	if a1 != a2 {
		t.Error("the same realm and accounts in another order made a second Authenticator")
	}
	for _, other := range [][]Account{{x}, {x, {"y", hash(t, "3", 4)}}} {
		if b, _ := Shared("R", other); b == a1 {
			t.Errorf("accounts %v share the Authenticator of other accounts", other)
		}
	}
	if b, _ := Shared("Other", []Account{x, y}); b == a1 {
		t.Error("another realm shares the Authenticator")
	}
	if _, err := Shared("R", []Account{{"z", "plain"}}); err == nil {
		t.Error("Shared accepted a plain-text password")
	}
}

func TestHandler(t *testing.T) {
	h := &Handler{Accounts: []Account{{"alice", hash(t, "right", 4)}}}
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, pass string
		status     int
		seen       any
	}{
		{"alice", "right", 200, "alice"},
		{"alice", "wrong", 401, nil},
	} {
		r := request(c.user, c.pass)
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
		w := httptest.NewRecorder()
		var seen any
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			seen = caddyhttp.GetVar(r.Context(), UserVar)
			return nil
		})
		if err := h.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
		if w.Code != c.status || seen != c.seen {
			t.Errorf("%s:%s: status %d, next saw %s=%v; want %d and %v", c.user, c.pass, w.Code, UserVar, seen, c.status, c.seen)
		}
		if c.status == 401 && w.Header().Get("WWW-Authenticate") != `Basic realm="Restricted"` {
			t.Errorf("default realm: WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
		}
	}
	bad := &Handler{Accounts: []Account{{"alice", "$2a$31$" + strings.Repeat("a", 53)}}}
	if err := bad.Provision(caddy.Context{}); err == nil || !strings.Contains(err.Error(), "cost 31") {
		t.Errorf("Provision with cost 31: %v", err)
	}
}

func BenchmarkCachedLogin(b *testing.B) {
	a, _ := New("R", []Account{{"alice", hash(b, "right", 10)}})
	r := request("alice", "right")
	authenticate(a, r)
	for b.Loop() {
		a.Authenticate(httptest.NewRecorder(), r)
	}
}
