package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// observatoryHost is the name the scanner is pointed at. The scanner always
// uses the default ports (80 for http://, 443 for https://), so nginx, in the
// role of the platform's router, listens there and terminates TLS with a
// certificate from a test CA that the scanner is told to trust.
const observatoryHost = "observatory.test"

// observatoryLock serializes this test across processes on one machine: it
// takes ports 80 and 443 and a line of /etc/hosts.
const observatoryLock = "/tmp/hardstatic-observatory.lock"

// The scan of a site built with no configuration gets the maximum score
// without cookies: 100, +10 for a CSP with default-src 'none', +5
// Referrer-Policy, +5 frame-ancestors, +10 Cross-Origin-Resource-Policy and +5
// for integrity on its scripts (added by the build), with the http -> https
// redirect on the same host and HSTS for two years.
func TestObservatory(t *testing.T) {
	scanner := observatoryScanner(t)
	if os.Geteuid() != 0 {
		skipOrFail(t, "the Observatory test needs root: nginx listens on ports 80 and 443 and /etc/hosts gets a line")
	}
	if _, err := exec.LookPath("nginx"); err != nil {
		skipOrFail(t, "nginx is not installed (apt-get install nginx)")
	}
	unlock := lockOrFail(t, observatoryLock)
	t.Cleanup(unlock)

	dir := t.TempDir()
	ca := newTestCA(t, dir, observatoryHost)
	addHostsEntry(t, observatoryHost)

	// scan builds sec-default with env, puts the router in front and scans.
	scan := func(t *testing.T, env map[string]string) observatoryResult {
		t.Helper()
		ws := newWorkspace(t, "sec-default")
		for k, v := range env {
			if err := ws.SetBuildEnv(k, v); err != nil {
				t.Fatal(err)
			}
		}
		detect(t, ws)
		build(t, ws)
		srv := launch(t, ws, nil)
		// The scanned policy names the report endpoint: it costs no points.
		if resp, _ := get(t, srv, "/"); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "report-uri /.well-known/csp-report; report-to csp-endpoint") {
			t.Errorf("the scanned policy does not name the report endpoint: %q", resp.Header.Get("Content-Security-Policy"))
		}
		routerDir := t.TempDir()
		startRouter(t, routerDir, ca, srv) // stopped when the subtest ends
		out := runScanner(t, scanner, ca.caFile, observatoryHost)
		var res observatoryResult
		if err := json.Unmarshal(out, &res); err != nil || res.Scan.Grade == "" {
			t.Fatalf("the scanner's output is not a scan (%v):\n%s", err, out)
		}
		t.Logf("Observatory: grade %s, score %d, %d tests passed, %d failed\n%s",
			res.Scan.Grade, res.Scan.Score, res.Scan.TestsPassed, res.Scan.TestsFailed, res.summary())
		return res
	}

	t.Run("defaults: A+, 135", func(t *testing.T) {
		res := scan(t, nil)
		if res.Scan.Grade != "A+" || res.Scan.TestsFailed != 0 || res.Scan.Score != 135 {
			t.Errorf("Observatory: grade %s, score %d, %d tests failed; want A+, 135, 0. Per test:\n%s",
				res.Scan.Grade, res.Scan.Score, res.Scan.TestsFailed, res.summary())
		}
	})

	// The harness sees a difference: without the build's integrity
	// attributes the Subresource Integrity bonus (+5) is gone.
	t.Run("BP_STATIC_SRI=false: 130", func(t *testing.T) {
		res := scan(t, map[string]string{"BP_STATIC_SRI": "false"})
		sri := res.Tests["subresource-integrity"]
		if res.Scan.Score != 130 || sri.ScoreModifier != 0 || sri.Result != "sri-not-implemented-but-all-scripts-loaded-from-secure-origin" {
			t.Errorf("Observatory without SRI: score %d, subresource-integrity %s (%+d); want 130 and no bonus. Per test:\n%s",
				res.Scan.Score, sri.Result, sri.ScoreModifier, res.summary())
		}
	})
}

// observatoryResult is the part of the scanner's JSON the test reads.
type observatoryResult struct {
	Scan struct {
		Grade       string `json:"grade"`
		Score       int    `json:"score"`
		TestsFailed int    `json:"testsFailed"`
		TestsPassed int    `json:"testsPassed"`
	} `json:"scan"`
	Tests map[string]struct {
		Result        string `json:"result"`
		Pass          bool   `json:"pass"`
		ScoreModifier int    `json:"scoreModifier"`
	} `json:"tests"`
}

// summary is one line per test: pass or FAIL, score modifier, result.
func (r observatoryResult) summary() string {
	names := make([]string, 0, len(r.Tests))
	for n := range r.Tests {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		tr := r.Tests[n]
		verdict := "pass"
		if !tr.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "\t%-4s %+3d  %-32s %s\n", verdict, tr.ScoreModifier, n, tr.Result)
	}
	return b.String()
}

// observatoryScanner is the scanner's entry point, installed by `make
// observatory` into .tools/observatory.
func observatoryScanner(t *testing.T) string {
	t.Helper()
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, ".tools", "observatory", "node_modules", "@mdn", "mdn-http-observatory")
	scan := filepath.Join(pkg, "src", "scan.js")
	if _, err := os.Stat(scan); err != nil {
		skipOrFail(t, "the MDN HTTP Observatory is not installed: run `make observatory` (make test-integration does)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFail(t, "node is not installed")
	}
	// Its postinstall step would download the HSTS preload list; the
	// Makefile writes an empty one instead, so the scan runs offline.
	if _, err := os.Stat(filepath.Join(pkg, "conf", "hsts-preload.json")); err != nil {
		skipOrFail(t, "the Observatory has no conf/hsts-preload.json: run `make observatory`")
	}
	return scan
}

// skipOrFail skips the test on a developer machine but fails it in CI, where
// everything it needs is installed by .ci/run.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// lockOrFail takes an exclusive lock on path, waiting up to 10 minutes for
// another test process that holds it.
func lockOrFail(t *testing.T, path string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	unlock, err := lifecycle.LockFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return unlock
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testCA is a certificate authority made for one test and a leaf
// certificate it signed for a host name.
type testCA struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
}

func newTestCA(t *testing.T, dir, host string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hardstatic test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	ca := testCA{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "leaf.pem"),
		keyFile:  filepath.Join(dir, "leaf.key"),
		pool:     x509.NewCertPool(),
	}
	ca.pool.AddCert(caCert)
	writePEM := func(path, typ string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writePEM(ca.caFile, "CERTIFICATE", caDER)
	writePEM(ca.certFile, "CERTIFICATE", leafDER)
	writePEM(ca.keyFile, "EC PRIVATE KEY", keyDER)
	return ca
}

// addHostsEntry maps host to 127.0.0.1 in /etc/hosts, unless it already
// resolves there, and removes the line when the test ends. /etc/hosts is
// rewritten in place: in a container it is often a bind mount.
func addHostsEntry(t *testing.T, host string) {
	t.Helper()
	const hostsFile = "/etc/hosts"
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), host)
	if err == nil && len(addrs) > 0 {
		for _, a := range addrs {
			if a != "127.0.0.1" {
				t.Fatalf("%s resolves to %v; it must be 127.0.0.1 only (fix /etc/hosts)", host, addrs)
			}
		}
		return
	}
	line := "127.0.0.1 " + host + " # added by hardstatic integration/observatory_test.go"
	data, err := os.ReadFile(hostsFile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if err := writeInPlace(hostsFile, text+line+"\n"); err != nil {
		t.Fatalf("adding %s to %s: %v", host, hostsFile, err)
	}
	t.Cleanup(func() {
		data, err := os.ReadFile(hostsFile)
		if err != nil {
			t.Errorf("removing %s from %s: %v", host, hostsFile, err)
			return
		}
		var kept []string
		for _, l := range strings.SplitAfter(string(data), "\n") {
			if strings.TrimRight(l, "\n") != line {
				kept = append(kept, l)
			}
		}
		if err := writeInPlace(hostsFile, strings.Join(kept, "")); err != nil {
			t.Errorf("removing %s from %s: %v", host, hostsFile, err)
		}
	})
}

func writeInPlace(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, content); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// nginxConf is the router: it terminates TLS on 443, answers plain HTTP on
// 80, and forwards both to the app with the Host and X-Forwarded-Proto a
// platform router sets.
const nginxConf = `worker_processes 1;
user root;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path {{DIR}}/body;
  proxy_temp_path {{DIR}}/proxy;
  fastcgi_temp_path {{DIR}}/fastcgi;
  uwsgi_temp_path {{DIR}}/uwsgi;
  scgi_temp_path {{DIR}}/scgi;
  server_tokens off;
  proxy_http_version 1.1;
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header Connection "";
  server {
    listen 127.0.0.1:80;
    server_name {{HOST}};
    location / { proxy_pass {{UPSTREAM}}; }
  }
  server {
    listen 127.0.0.1:443 ssl;
    server_name {{HOST}};
    ssl_certificate {{CERT}};
    ssl_certificate_key {{KEY}};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass {{UPSTREAM}}; }
  }
}
`

// startRouter runs nginx in the foreground as the platform's router in
// front of srv, and stops it when the test ends.
func startRouter(t *testing.T, dir string, ca testCA, srv *lifecycle.Server) {
	t.Helper()
	for _, port := range []string{"80", "443"} {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("port %s is taken (%v): the Observatory scanner needs ports 80 and 443 free for the router", port, err)
		}
		_ = l.Close()
	}
	conf := strings.NewReplacer("{{DIR}}", dir, "{{HOST}}", observatoryHost, "{{UPSTREAM}}", srv.URL,
		"{{CERT}}", ca.certFile, "{{KEY}}", ca.keyFile).Replace(nginxConf)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	errorLog := filepath.Join(dir, "error.log")
	t.Cleanup(func() {
		if t.Failed() {
			errLog, _ := os.ReadFile(errorLog)
			t.Logf("--- nginx error.log ---\n%s--- end of nginx error.log ---", errLog)
		}
	})
	cmd := exec.Command("nginx", "-p", dir, "-e", errorLog, "-c", confFile, "-g", "daemon off;")
	nginx := startProcess(t, "nginx", cmd, syscall.SIGQUIT) // SIGQUIT: a graceful stop

	// Ready when https://HOST/ answers through it with the test CA, without
	// depending on /etc/hosts.
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool, ServerName: observatoryHost},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:443")
		},
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.Get("https://" + observatoryHost + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if nginx.exited() {
			t.Fatal("nginx exited")
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not answer https://%s/ within 15s: %v", observatoryHost, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runScanner runs the Observatory's CLI with node directly: the npx wrapper
// would replace NODE_EXTRA_CA_CERTS, which makes node trust the test CA.
func runScanner(t *testing.T, scanJS, caFile, host string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", scanJS, host)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s %s: %v\n--- stdout ---\n%s--- stderr ---\n%s", scanJS, host, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}
