// Package basicauth checks HTTP basic-auth credentials against bcrypt hashes
// at a cost paid once per credential, not once per request.
//
//   - Good credentials are cached, keyed by an HMAC of user and password with a
//     key made at start (never stored, never the password itself), so a page
//     with 30 assets costs one bcrypt run, not 30. The cache holds only
//     credentials that matched, at most one entry per account and password,
//     and is bounded: failed attempts never fill memory.
//   - An unknown user is compared against a dummy hash made at start with the
//     cost of the configured users, so it costs what a known user costs: user
//     names cannot be told apart by response time, and random names burn no
//     more CPU than wrong passwords.
//   - bcrypt work is bounded by a process-wide semaphore sized to GOMAXPROCS.
//     When it is saturated, a request waits at most QueueWait and is then
//     answered 503 with Retry-After, instead of queueing without bound.
//   - Hashes must be bcrypt with a cost from MinCost to MaxCost, checked when
//     the Authenticator is made (at launch), with the reason when refused.
package basicauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Account is one basic-auth user.
type Account struct {
	Username string `json:"username"`
	Password string `json:"password"` // bcrypt hash
}

// The accepted bcrypt costs. MinCost is bcrypt's own minimum (htpasswd -B
// makes cost 5, Go's bcrypt.DefaultCost is 10, static-server hash-password
// 12). MaxCost bounds what one request may cost: each step doubles the work,
// cost 12 takes about a quarter of a second of one core, 14 about a second
// and 31 (which a hash may say) days, and a wrong password pays it every
// time.
const (
	MinCost = bcrypt.MinCost // 4
	MaxCost = 12
)

// Defaults of the options.
const (
	// DefaultCacheSize bounds the good-credentials cache (entries of about
	// 100 bytes). Only matching credentials are cached, so it fills only when
	// that many distinct accounts are in use; it is then emptied and refilled.
	DefaultCacheSize = 4096
	// DefaultQueueWait is how long a request waits for a bcrypt slot before
	// it is answered 503.
	DefaultQueueWait = 2 * time.Second
)

// Authenticator checks credentials for one realm and set of accounts. It is
// safe for concurrent use.
type Authenticator struct {
	challenge string            // the WWW-Authenticate value
	hashes    map[string][]byte // user -> bcrypt hash
	dummy     []byte            // compared when the user is unknown
	key       []byte            // HMAC key of the cache
	sem       chan struct{}
	wait      time.Duration

	mu        sync.Mutex
	cache     map[[sha256.Size]byte]string // HMAC(user, password) -> user
	cacheSize int
}

// Option changes a default of New.
type Option func(*options)

type options struct {
	cacheSize int
	wait      time.Duration
	sem       chan struct{}
}

// WithCacheSize bounds the good-credentials cache (default DefaultCacheSize).
func WithCacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithQueueWait sets how long a request waits for a bcrypt slot (default
// DefaultQueueWait).
func WithQueueWait(d time.Duration) Option { return func(o *options) { o.wait = d } }

// WithConcurrency gives the Authenticator its own limit of n concurrent bcrypt
// runs instead of the process-wide one (GOMAXPROCS).
func WithConcurrency(n int) Option {
	return func(o *options) { o.sem = make(chan struct{}, max(n, 1)) }
}

// bcryptSlots bounds bcrypt work across every Authenticator of the process:
// more concurrent runs than cores only make each one slower.
var bcryptSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// New checks the accounts and returns their Authenticator. realm is shown by
// browsers in the password prompt.
func New(realm string, accounts []Account, opts ...Option) (*Authenticator, error) {
	o := options{cacheSize: DefaultCacheSize, wait: DefaultQueueWait, sem: bcryptSlots}
	for _, opt := range opts {
		opt(&o)
	}
	if len(accounts) == 0 {
		return nil, errors.New("basic auth: no accounts")
	}
	a := &Authenticator{
		challenge: "Basic realm=" + quote(realm),
		hashes:    make(map[string][]byte, len(accounts)),
		key:       make([]byte, 32),
		sem:       o.sem,
		wait:      o.wait,
		cache:     map[[sha256.Size]byte]string{},
		cacheSize: max(o.cacheSize, 1),
	}
	minCost := MaxCost
	for _, acc := range accounts {
		if acc.Username == "" {
			return nil, errors.New("basic auth: an account has an empty user name")
		}
		if _, dup := a.hashes[acc.Username]; dup {
			return nil, fmt.Errorf("basic auth: user %q appears twice", acc.Username)
		}
		cost, err := CheckHash(acc.Password)
		if err != nil {
			return nil, fmt.Errorf("basic auth: user %q: %w", acc.Username, err)
		}
		minCost = min(minCost, cost)
		a.hashes[acc.Username] = []byte(acc.Password)
	}
	// The dummy has the lowest configured cost: an unknown user never costs
	// more than a known one (and exactly as much when all share a cost).
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	_, _ = rand.Read(a.key)
	dummy, err := bcrypt.GenerateFromPassword(secret, minCost)
	if err != nil {
		return nil, fmt.Errorf("basic auth: making the comparison hash: %w", err)
	}
	a.dummy = dummy
	return a, nil
}

// CheckHash returns the cost of a bcrypt hash, or why it is refused.
func CheckHash(hash string) (int, error) {
	if !strings.HasPrefix(hash, "$2") {
		return 0, errors.New("the password is not a bcrypt hash ($2a$, $2b$ or $2y$); plain-text passwords are refused. " +
			"Hash it with: static-server hash-password USER (or htpasswd -nbB USER PASSWORD)")
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || len(hash) != 60 {
		return 0, fmt.Errorf("the bcrypt hash is malformed (%d characters, want 60); make a new one with: static-server hash-password USER", len(hash))
	}
	if cost > MaxCost {
		return 0, fmt.Errorf("the bcrypt cost %d is over %d: every wrong password would keep a CPU core busy for about %s; "+
			"make a new hash with cost %d or less (static-server hash-password USER makes %d)", cost, MaxCost, costTime(cost), MaxCost, MaxCost)
	}
	return cost, nil
}

// costTime is a rough figure for one bcrypt run of cost on a current core
// (cost 12: about 250 ms).
func costTime(cost int) string {
	d := 250 * time.Millisecond
	for c := 12; c < cost && d < 1000*time.Hour; c++ {
		d *= 2
	}
	return d.Round(time.Second).String()
}

// Shared returns one Authenticator per distinct realm and set of accounts, so
// that handlers configured alike (several Caddy module instances) share one
// cache. Options apply only when the instance is first made.
func Shared(realm string, accounts []Account, opts ...Option) (*Authenticator, error) {
	id := sharedKey(realm, accounts)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if a, ok := shared[id]; ok {
		return a, nil
	}
	a, err := New(realm, accounts, opts...)
	if err != nil {
		return nil, err
	}
	shared[id] = a
	return a, nil
}

var (
	sharedMu sync.Mutex
	shared   = map[[sha256.Size]byte]*Authenticator{}
)

// sharedKey identifies a realm and a set of accounts, in any order.
func sharedKey(realm string, accounts []Account) [sha256.Size]byte {
	sorted := slices.Clone(accounts)
	slices.SortFunc(sorted, func(x, y Account) int { return strings.Compare(x.Username, y.Username) })
	h := sha256.New()
	writeField(h, realm)
	for _, a := range sorted {
		writeField(h, a.Username)
		writeField(h, a.Password)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// writeField writes s after its length, so that fields cannot run together.
func writeField(h io.Writer, s string) {
	_, _ = io.WriteString(h, strconv.Itoa(len(s))+":"+s)
}

// Authenticate checks the request's credentials. When they match it returns
// the user name and true. Otherwise it has already answered: 401 with a
// WWW-Authenticate challenge (the same answer for an unknown user and a wrong
// password), or 503 with Retry-After when bcrypt work is saturated.
func (a *Authenticator) Authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		a.unauthorized(w)
		return "", false
	}
	mac := a.mac(user, pass)
	if a.cached(mac, user) {
		return user, true
	}
	if !a.acquire(r) {
		unavailable(w)
		return "", false
	}
	match := a.compare(user, pass)
	<-a.sem
	if !match {
		a.unauthorized(w)
		return "", false
	}
	a.remember(mac, user)
	return user, true
}

// compare runs exactly one bcrypt comparison, against the dummy hash when
// the user is unknown.
func (a *Authenticator) compare(user, pass string) bool {
	hash, known := a.hashes[user]
	if !known {
		hash = a.dummy
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(pass))
	return known && err == nil
}

func (a *Authenticator) mac(user, pass string) [sha256.Size]byte {
	m := hmac.New(sha256.New, a.key)
	writeField(m, user)
	writeField(m, pass)
	var k [sha256.Size]byte
	m.Sum(k[:0])
	return k
}

func (a *Authenticator) cached(mac [sha256.Size]byte, user string) bool {
	a.mu.Lock()
	got, ok := a.cache[mac]
	a.mu.Unlock()
	return ok && hmac.Equal([]byte(got), []byte(user))
}

func (a *Authenticator) remember(mac [sha256.Size]byte, user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= a.cacheSize {
		clear(a.cache)
	}
	a.cache[mac] = user
}

// acquire takes a bcrypt slot, waiting at most a.wait (or until the client
// goes away).
func (a *Authenticator) acquire(r *http.Request) bool {
	select {
	case a.sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}

// RetryAfter is the Retry-After of a 503 answer, in seconds.
const RetryAfter = 1

func (a *Authenticator) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", a.challenge)
	plain(w, http.StatusUnauthorized)
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	// Closing spares reading (and waiting for) a body that is not used.
	w.Header().Set("Connection", "close")
	plain(w, http.StatusServiceUnavailable)
}

// plain answers like the server's own error pages: "401 Unauthorized".
func plain(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%d %s\n", status, http.StatusText(status))
}

// quote makes realm an HTTP quoted-string: backslash and double quote are
// escaped, control characters (which would end or forge the header) become
// spaces.
func quote(realm string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range realm {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
