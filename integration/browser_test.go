package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (installed by .ci/run).
const chromiumPath = "/usr/bin/chromium"

// watchScript runs in every page before its own scripts (DevTools scripts are
// not subject to the page's CSP) and records Content-Security-Policy
// violations as the page sees them.
const watchScript = `window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`

// browserPage is a page to load and what it must show.
type browserPage struct {
	path      string
	status    int64  // of the document
	text      string // in the body
	scriptRan bool   // js/app.js ran: it sets data-script-ran="yes"
}

// Every page of the sec fixtures loads in headless Chromium under the
// default headers with no CSP violation, no console error and no failed
// subresource: the integrity the build added matches what is served, and
// the default CSP allows everything a plain site does.
func TestBrowser(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chromiumPath); err != nil {
		skipOrFail(t, "chromium is not installed (apt-get install chromium)")
	}
	browser := newBrowser(t)

	t.Run("sec-default", func(t *testing.T) {
		ws, srv := buildAndLaunch(t, "sec-default")
		_ = ws
		for _, p := range []browserPage{
			{"/", 200, "SEC-DEFAULT-HOME", true},
			{"/about/", 200, "SEC-DEFAULT-ABOUT", true},
			{"/about", 200, "SEC-DEFAULT-ABOUT", true}, // redirected to /about/
			{"/index.html", 200, "SEC-DEFAULT-HOME", true},
			{"/no/such/page", 404, "SEC-DEFAULT-NOT-FOUND", false},
		} {
			res := browser.load(t, srv.URL+p.path)
			res.check(t, p)
		}
	})

	t.Run("sec-attack", func(t *testing.T) {
		_, srv := buildAndLaunch(t, "sec-attack")
		for _, p := range []browserPage{
			{"/", 200, "SEC-ATTACK-HOME", false},
			{"/dir/", 200, "SEC-ATTACK-DIR", false},
			{"/evil.example/", 200, "A directory named like a host", false},
			{"/sub/page", 200, "", false},
			{"/missing", 404, "SEC-ATTACK-NOT-FOUND", false},
		} {
			res := browser.load(t, srv.URL+p.path)
			res.check(t, p)
		}
	})

	// A script large enough to be precompressed: the browser checks the
	// integrity (of the file as built) against the decoded br body.
	t.Run("precompressed", func(t *testing.T) {
		ws := newWorkspace(t, "sec-default")
		var js strings.Builder
		for i := range 4000 {
			fmt.Fprintf(&js, "var filler%d = %d; // padding so that the build precompresses this file\n", i, i)
		}
		js.WriteString("document.documentElement.dataset.scriptRan = \"yes\";\n")
		writeFile(t, filepath.Join(ws.AppDir, "big", "big.js"), js.String())
		writeFile(t, filepath.Join(ws.AppDir, "big", "index.html"),
			"<!doctype html><title>BIG</title><p>SEC-BIG</p><script src=\"big.js\"></script>\n")
		detect(t, ws)
		build(t, ws)
		srv := launch(t, ws, nil)
		resp, _ := do(t, srv, request{path: "/big/big.js", header: map[string]string{"Accept-Encoding": "br"}})
		if ce := resp.Header.Get("Content-Encoding"); ce != "br" {
			t.Logf("big.js is sent with Content-Encoding %q, not br: the case is not exercised", ce)
		}
		res := browser.load(t, srv.URL+"/big/")
		res.check(t, browserPage{"/big/", 200, "SEC-BIG", true})
	})

	// The watch works: a page that breaks the policy is caught, and a
	// script whose integrity does not match is refused.
	t.Run("canary", func(t *testing.T) {
		ws := newWorkspace(t, "sec-default")
		// The build allows what a page contains (inline code by hash, the
		// origins of its tags), so the canary breaks the policy at run time.
		writeFile(t, filepath.Join(ws.AppDir, "canary.js"), `var s = document.createElement("script");
s.textContent = 'document.title = "inline ran";';
document.body.appendChild(s);
var i = new Image(); i.src = "https://example.invalid/pixel.png"; document.body.appendChild(i);`)
		writeFile(t, filepath.Join(ws.AppDir, "canary.html"), `<!doctype html><title>CANARY</title>
<p>CANARY</p>
<script src="/js/app.js" integrity="sha384-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"></script>
<script src="/canary.js" defer></script>`)
		detect(t, ws)
		build(t, ws)
		srv := launch(t, ws, nil)
		res := browser.load(t, srv.URL+"/canary")
		if len(res.violations) < 2 {
			t.Errorf("the canary's inline script and foreign image were not reported as CSP violations: %q", res.violations)
		}
		if res.scriptRan || res.title == "inline ran" {
			t.Errorf("a blocked script ran (integrity mismatch or inline): title %q, data-script-ran %t", res.title, res.scriptRan)
		}
		var integrityErr bool
		for _, e := range res.errors {
			integrityErr = integrityErr || strings.Contains(e, "integrity")
		}
		if !integrityErr {
			t.Errorf("no console error for the integrity mismatch: %q", res.errors)
		}
	})
}

// browser is one headless Chromium for the test.
type browser struct {
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-default-browser-check", true),
		// "Other sites" in the fixtures are servers of the test on loopback.
		chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it lives as long as ctx (no
	// timeout on this one, it would stop the browser).
	if err := chromedp.Do(ctx); err != nil {
		if _, lerr := exec.LookPath(chromiumPath); lerr != nil {
			skipOrFail(t, "chromium cannot run: "+lerr.Error())
		}
		t.Fatalf("starting chromium: %v", err)
	}
	return &browser{ctx: ctx}
}

// loadResult is what one page load showed.
type loadResult struct {
	url        string
	status     int64
	body       string
	title      string
	scriptRan  bool
	violations []string // securitypolicyviolation events
	errors     []string // console errors, exceptions, log entries of level error, failed loads
	warnings   []string // log entries of level warning
}

// settleTimeout bounds the wait for a page to settle: a page may hold a
// request open for good (a long poll), and then is taken as it is.
const settleTimeout = 10 * time.Second

// settled waits until the page has loaded and none of its requests is in
// flight (inFlight counts them): the reports that come late, such as a
// script's failed fetch and its CSP violation or console error, are in then.
func settled(inFlight func() int) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		deadline := time.Now().Add(settleTimeout)
		for {
			state, err := chromedp.Evaluate[string](`document.readyState`)(ctx, tg)
			if err != nil {
				return err
			}
			if (state == "complete" && inFlight() == 0) || time.Now().After(deadline) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pollInterval):
			}
		}
	})
}

// load opens url in a new tab, waits for it to settle and collects what the
// page reported.
func (b *browser) load(t *testing.T, url string) loadResult {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
	defer cancelTimeout()

	res := loadResult{url: url}
	var mu sync.Mutex
	var docID network.RequestID
	urls := map[network.RequestID]string{}
	inFlight := map[network.RequestID]bool{}
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			e := ev.Entry
			msg := fmt.Sprintf("[%s/%s] %s (%s)", e.Source, e.Level, e.Text, e.URL)
			switch e.Level {
			case log.EntryLevelError:
				res.errors = append(res.errors, msg)
			case log.EntryLevelWarning:
				res.warnings = append(res.warnings, msg)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				res.errors = append(res.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			res.errors = append(res.errors, "exception: "+text)
		case *network.EventRequestWillBeSent:
			urls[ev.RequestID] = ev.Request.URL
			inFlight[ev.RequestID] = true
			if ev.Type == network.ResourceTypeDocument && docID == "" {
				docID = ev.RequestID
			}
		case *network.EventResponseReceived:
			if ev.RequestID == docID {
				res.status = ev.Response.Status
			} else if ev.Response.Status >= 400 {
				res.errors = append(res.errors, fmt.Sprintf("%s: status %d", ev.Response.URL, ev.Response.Status))
			}
		case *network.EventLoadingFinished:
			delete(inFlight, ev.RequestID)
		case *network.EventLoadingFailed:
			delete(inFlight, ev.RequestID)
			if ev.RequestID != docID {
				res.errors = append(res.errors, fmt.Sprintf("loading failed: %s %s %s", urls[ev.RequestID], ev.ErrorText, ev.BlockedReason))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	var violations, scriptRan string
	text := func(expr string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Evaluate[string](expr)(ctx, tg)
			*into = v
			return err
		})
	}
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: watchScript})
			return err
		}),
		chromedp.Navigate(url),
		settled(func() int { mu.Lock(); defer mu.Unlock(); return len(inFlight) }),
		text(`JSON.stringify(window.__csp || ["the watch script did not run"])`, &violations),
		text(`document.documentElement.dataset.scriptRan || ""`, &scriptRan),
		text(`document.body ? document.body.innerText : ""`, &res.body),
		text(`document.title`, &res.title),
	)
	if err != nil {
		t.Fatalf("loading %s in chromium: %v", url, err)
	}
	if err := json.Unmarshal([]byte(violations), &res.violations); err != nil {
		t.Fatalf("%s: reading the CSP violations: %v", url, err)
	}
	res.scriptRan = scriptRan == "yes"
	mu.Lock()
	defer mu.Unlock()
	res.errors = append([]string(nil), res.errors...)
	res.warnings = append([]string(nil), res.warnings...)
	return res
}

// check fails the test on a CSP violation, a console error or a page that
// does not show what it should. The only errors allowed are the failed load
// of a 404 document itself and of the /favicon.ico the browser asks for on
// its own (the fixtures have none).
func (r loadResult) check(t *testing.T, p browserPage) {
	t.Helper()
	if r.status != p.status {
		t.Errorf("%s: document status %d, want %d", r.url, r.status, p.status)
	}
	if p.text != "" && !strings.Contains(r.body, p.text) {
		t.Errorf("%s: the page does not show %q: %.200q", r.url, p.text, r.body)
	}
	if p.scriptRan && !r.scriptRan {
		t.Errorf("%s: js/app.js did not run (blocked by CSP or integrity?)", r.url)
	}
	if len(r.violations) > 0 {
		t.Errorf("%s: CSP violations:\n\t%s", r.url, strings.Join(r.violations, "\n\t"))
	}
	var errs []string
	for _, e := range r.errors {
		if p.status == 404 && strings.Contains(e, "status of 404") && strings.HasSuffix(e, "("+r.url+")") {
			continue
		}
		if strings.Contains(e, "/favicon.ico") { // the browser's own request, not the page's
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		t.Errorf("%s: console errors:\n\t%s", r.url, strings.Join(errs, "\n\t"))
	}
	if len(r.warnings) > 0 {
		t.Logf("%s: console warnings (not failures):\n\t%s", r.url, strings.Join(r.warnings, "\n\t"))
	}
}
