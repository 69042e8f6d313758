package main

// Basic-auth cost and idle-connection memory (issue 9).

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/integration/lifecycle"
	"github.com/hardstatic/buildpack/internal/connlimit"
)

var (
	idleConns = flag.Int("idle-conns", 5000, "idle keep-alive connections opened to measure memory per connection (0: skip)")
	authBench = flag.Bool("auth", true, "measure authenticated throughput and the cost of unknown users")
)

// authCost is the bcrypt cost of the benchmark's account: what
// `static-server hash-password` makes.
const authCost = 12

// benchAuth compares the generated site served publicly and with
// [basic_auth] (valid credentials on every request), and times single
// requests with a wrong password and with an unknown user.
func benchAuth(out *report, public, authWS *lifecycle.Workspace, tmp string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), authCost)
	if err != nil {
		return err
	}
	authSrv, err := startOurs(authWS, filepath.Join(tmp, "auth.log"), "BASIC_AUTH_USERS=bench:"+string(hash))
	if err != nil {
		return err
	}
	defer authSrv.stop()
	pubSrv, err := startOurs(public, filepath.Join(tmp, "public.log"))
	if err != nil {
		return err
	}
	defer pubSrv.stop()
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:bench-password"))
	if code := statusWith(authSrv.url+"/", good); code != 200 {
		return fmt.Errorf("the authenticated site answers %d to valid credentials", code)
	}
	if code := statusWith(authSrv.url+"/", ""); code != 401 {
		return fmt.Errorf("the authenticated site answers %d without credentials", code)
	}
	var pub, auth *wrkResult
	for round := range *rounds {
		logf("round %d: public vs authenticated", round+1)
		r, err := runWrk(pubSrv.url+"/", map[string]string{"Accept-Encoding": browserAE})
		if err != nil {
			return err
		}
		pub = pub.add(r)
		r, err = runWrk(authSrv.url+"/", map[string]string{"Accept-Encoding": browserAE, "Authorization": good})
		if err != nil {
			return err
		}
		auth = auth.add(r)
	}
	p, a := pub.mean(), auth.mean()
	out.f("\n## Basic auth\n\n")
	out.f("The generated site with `[basic_auth]` (one user, bcrypt cost %d as `static-server hash-password` makes), ", authCost)
	out.f("wrk as above with valid credentials on every request, against the same site without `[basic_auth]`, alternating, %d rounds.\n\n", *rounds)
	out.f("| endpoint | server | req/s | p50 | p99 | req/s vs public |\n|---|---|---:|---:|---:|---:|\n")
	out.f("| 5 KB HTML (/), browser Accept-Encoding | ours, public | %.0f | %s | %s | |\n", p.rps, ms(p.p50), ms(p.p99))
	out.f("| 5 KB HTML (/), browser Accept-Encoding | ours, authenticated | %.0f | %s | %s | %.2fx |\n", a.rps, ms(a.p50), ms(a.p99), a.rps/p.rps)

	const n = 15
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:wrong-password"))
	unknown := "Basic " + base64.StdEncoding.EncodeToString([]byte("nobody-like-this:bench-password"))
	var tw, tu []float64
	for range n {
		tw = append(tw, timeRequest(authSrv.url+"/", wrong))
		tu = append(tu, timeRequest(authSrv.url+"/", unknown))
	}
	sort.Float64s(tw)
	sort.Float64s(tu)
	out.f("\nOne request at a time, %d each, alternating (each costs one bcrypt comparison; failures are never cached):\n\n", n)
	out.f("| request | median | min | max |\n|---|---:|---:|---:|\n")
	out.f("| known user, wrong password (401) | %s | %s | %s |\n", ms(tw[n/2]), ms(tw[0]), ms(tw[n-1]))
	out.f("| unknown user (401) | %s | %s | %s |\n", ms(tu[n/2]), ms(tu[0]), ms(tu[n-1]))
	out.f("| unknown / known | %.2fx | | |\n", tu[n/2]/tw[n/2])
	return nil
}

func statusWith(url, authorization string) int {
	req, _ := http.NewRequest("GET", url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// timeRequest returns the milliseconds one request takes on a kept-alive
// connection.
func timeRequest(url, authorization string) float64 {
	start := time.Now()
	statusWith(url, authorization)
	return float64(time.Since(start).Microseconds()) / 1000
}

// benchIdle opens *idleConns keep-alive connections to a fresh server, each
// after one answered request, and reports the RSS they add.
func benchIdle(out *report, ws *lifecycle.Workspace, tmp string) error {
	n := *idleConns
	if err := raiseFileLimit(uint64(n + 1000)); err != nil {
		return err
	}
	srv, err := startOurs(ws, filepath.Join(tmp, "idle.log"))
	if err != nil {
		return err
	}
	defer srv.stop()
	addr := srv.url[len("http://"):]
	if code := rawGet(addr); code != 200 {
		return fmt.Errorf("idle benchmark server: status %d", code)
	}
	time.Sleep(time.Second)
	before := rssKB(srv.pid())
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	logf("opening %d idle keep-alive connections", n)
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	time.Sleep(time.Second)
	after := rssKB(srv.pid())
	perK := float64(after-before) / float64(n) * 1000 / 1024 // MiB per 1,000
	out.f("\n## Idle connections\n\n")
	out.f("%d keep-alive connections to a fresh `web` process, each idle after one answered `GET /` (5 KB page), ", n)
	out.f("VmRSS from /proc/PID/status before and after.\n\n")
	out.f("| measure | value |\n|---|---:|\n")
	out.f("| RSS before | %.1f MiB |\n| RSS with %d idle connections | %.1f MiB |\n", float64(before)/1024, n, float64(after)/1024)
	out.f("| **RSS per 1,000 idle connections** | **%.1f MiB** (%.1f KiB each; `connlimit.ConnMemory` is %d KiB) |\n",
		perK, perK*1024/1000, connlimit.ConnMemory>>10)
	out.f("\nThe cap this leads to (`STATIC_MAX_CONNECTIONS` unset): half the memory limit divided by `ConnMemory`, ")
	out.f("and at most RLIMIT_NOFILE - %d:\n\n| memory limit | cap | RSS of that many idle connections (measured rate) |\n|---|---:|---:|\n", connlimit.FDReserve)
	for _, mib := range []int64{256, 512, 1024, 4096} {
		c := connlimit.Limits{Memory: mib << 20, Files: 1 << 20}.Cap()
		out.f("| %d MiB | %d | %.0f MiB |\n", mib, c, float64(c)*perK/1000)
	}
	here := connlimit.ReadLimits()
	out.f("| this machine (%d MiB, %d file descriptors) | %d | %.0f MiB |\n", here.Memory>>20, here.Files, here.Cap(), float64(here.Cap())*perK/1000)
	return nil
}

func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= need {
		return nil
	}
	lim.Max = max(lim.Max, need) // root may raise the hard limit
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("cannot raise RLIMIT_NOFILE to %d for %d idle connections (-idle-conns): %w", need, *idleConns, err)
	}
	return nil
}

// authSite writes the generated site again, with [basic_auth] on every
// file but the 404 page (the build refuses a protected 404 page).
func authSite(dir string) error {
	if err := generateSite(dir); err != nil {
		return err
	}
	toml := "root = \"public\"\n\n[basic_auth]\npaths = [\"/\", \"/index.html\", \"/about\", \"/about.html\", \"/assets/**\", \"/img/**\"]\n"
	return os.WriteFile(filepath.Join(dir, "static.toml"), []byte(toml), 0o644)
}
