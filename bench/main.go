// Command bench builds sites through the real CNB lifecycle and compares the
// buildpack's web process with nginx (gzip_static on the same precompressed
// files) and with a stock Caddy file_server (bench/stockcaddy, a separate
// module: encode compressing on the fly) using wrk on loopback. It prints a
// Markdown report. Run it with
// `make bench` as root (nginx listens on a loopback port as root; the
// lifecycle phases and our server run as uid 1000).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/site/table"
)

var (
	duration = flag.Duration("duration", 5*time.Second, "length of each wrk run")
	rounds   = flag.Int("rounds", 2, "wrk runs per server and endpoint (alternating servers); the report shows the mean")
	conns    = flag.Int("connections", 64, "wrk connections")
	starts   = flag.Int("starts", 20, "server starts for the start-up median")
	files10k = flag.Int("files", 10000, "files in the generated site used for build timings (0: skip)")
	keep     = flag.Bool("keep", false, "keep the temporary directories")
	stockLog = flag.Bool("stockcaddy-log", true, "give stock Caddy an access log to a drained pipe, as ours has (false: no access log)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

type report struct{ bytes.Buffer }

func (r *report) f(format string, args ...any) { fmt.Fprintf(&r.Buffer, format, args...) }

func run() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: nginx is started as root on a loopback port")
	}
	for _, bin := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s is not installed (apt-get install %s)", bin, bin)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	tools, err := lifecycle.EnsureTools(ctx)
	if err != nil {
		return err
	}
	repo, err := lifecycle.FindRepoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hardstatic-bench-")
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(tmp) //nolint:errcheck // best effort
	}
	var out report
	describeMachine(&out)

	// Sites.
	genDir := filepath.Join(tmp, "gen")
	if err := generateSite(genDir); err != nil {
		return err
	}
	var workspaces []*lifecycle.Workspace
	defer func() {
		if !*keep {
			for _, ws := range workspaces {
				_ = ws.Close()
			}
		}
	}()
	newWS := func(app string) (*lifecycle.Workspace, error) {
		ws, err := lifecycle.NewWorkspace(lifecycle.Options{Tools: tools, App: app})
		if err == nil {
			workspaces = append(workspaces, ws)
		}
		return ws, err
	}
	buildWS := func(ws *lifecycle.Workspace) (string, time.Duration, error) {
		if out, err := ws.Detect(ctx); err != nil {
			return out, 0, err
		}
		start := time.Now()
		out, err := ws.Build(ctx)
		return out, time.Since(start), err
	}

	plain, err := newWS(filepath.Join(repo, "examples", "plain-html"))
	if err != nil {
		return err
	}
	if log, _, err := buildWS(plain); err != nil {
		return fmt.Errorf("building examples/plain-html: %w\n%s", err, log)
	}
	gen, err := newWS(genDir)
	if err != nil {
		return err
	}
	genLog, _, err := buildWS(gen)
	if err != nil {
		return fmt.Errorf("building the generated site: %w\n%s", err, genLog)
	}
	logf("built examples/plain-html and the generated site")

	// Servers.
	ours, err := startOurs(gen, filepath.Join(tmp, "ours.log"))
	if err != nil {
		return err
	}
	defer ours.stop()
	ngx, err := startNginx(gen, filepath.Join(tmp, "nginx"))
	if err != nil {
		return err
	}
	defer ngx.stop()
	stockBin, err := buildStockCaddy(ctx, repo, tmp)
	if err != nil {
		return err
	}
	stock, err := startStockCaddy(gen, stockBin, filepath.Join(tmp, "stock-caddy"))
	if err != nil {
		return err
	}
	defer stock.stop()
	plainSrv, err := startOurs(plain, filepath.Join(tmp, "plain.log"))
	if err != nil {
		return err
	}
	if resp, err := http.Get(plainSrv.url + "/"); err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("examples/plain-html does not answer / with 200: %v", err)
	}
	plainSrv.stop()
	idleRSS := rssKB(ours.pid())
	ngxIdle := ngx.rss()
	stockIdle := rssKB(stock.pid())

	eps := endpoints()
	servers := []*server{ours, ngx, stock}
	results := map[string]map[string]*wrkResult{}
	for _, ep := range eps {
		results[ep.name] = map[string]*wrkResult{}
		for _, s := range servers {
			if err := checkEndpoint(s, ep); err != nil {
				return err
			}
		}
	}
	for round := 0; round < *rounds; round++ {
		for _, ep := range eps {
			// Rotate the servers so that each goes first in turn.
			order := make([]*server, 0, len(servers))
			for i := range servers {
				order = append(order, servers[(i+round)%len(servers)])
			}
			for _, s := range order {
				logf("round %d: %s on %s", round+1, ep.name, s.name)
				r, err := runWrk(s.url+ep.path, ep.header)
				if err != nil {
					return err
				}
				results[ep.name][s.name] = results[ep.name][s.name].add(r)
			}
		}
	}
	loadRSS := peakRSSKB(ours.pid())
	ngxLoad := ngx.rss()
	stockLoad := peakRSSKB(stock.pid())

	out.f("\n## Throughput and latency\n\n")
	out.f("wrk -t2 -c%d -d%s --latency, loopback, %d rounds rotating the servers (mean shown). ", *conns, *duration, *rounds)
	out.f("`bytes/resp` is wrk's transfer divided by requests (headers included). ")
	out.f("The ratio columns are ours / nginx and ours / stock Caddy (`file_server` + `headers` + `encode zstd gzip`, access log %s).\n\n", map[bool]string{true: "on", false: "off"}[*stockLog])
	out.f("| endpoint | server | req/s | p50 | p99 | bytes/resp | req/s vs nginx | p99 vs nginx | bytes vs nginx | req/s vs stock Caddy | p99 vs stock Caddy | bytes vs stock Caddy |\n")
	out.f("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ep := range eps {
		n := results[ep.name]["nginx"].mean()
		c := results[ep.name][stockName].mean()
		for _, s := range servers {
			r := results[ep.name][s.name].mean()
			ratio := " | | | | | "
			if s.name == "ours" {
				ratio = fmt.Sprintf("%.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx",
					r.rps/n.rps, r.p99/n.p99, r.bytesPerResp/n.bytesPerResp, r.rps/c.rps, r.p99/c.p99, r.bytesPerResp/c.bytesPerResp)
			}
			out.f("| %s | %s | %.0f | %s | %s | %.0f | %s |\n", ep.name, s.name, r.rps, ms(r.p50), ms(r.p99), r.bytesPerResp, ratio)
		}
	}

	if *authBench {
		authDir := filepath.Join(tmp, "gen-auth")
		if err := authSite(authDir); err != nil {
			return err
		}
		authWS, err := newWS(authDir)
		if err != nil {
			return err
		}
		if log, _, err := buildWS(authWS); err != nil {
			return fmt.Errorf("building the site with basic auth: %w\n%s", err, log)
		}
		if err := benchAuth(&out, gen, authWS, tmp); err != nil {
			return err
		}
	}
	if *idleConns > 0 {
		if err := benchIdle(&out, gen, tmp); err != nil {
			return err
		}
	}

	// Start-up and memory.
	startMedian, startAll, err := startupMedian(gen, *starts)
	if err != nil {
		return err
	}
	out.f("\n## Start-up and memory\n\n")
	out.f("| measure | ours | nginx | stock Caddy |\n|---|---:|---:|---:|\n")
	out.f("| start-up, exec to first 200 (median of %d; min %s, max %s) | %s | | |\n", *starts, ms(startAll[0]), ms(startAll[len(startAll)-1]), ms(startMedian))
	out.f("| idle RSS after start and one request | %.1f MB | %.1f MB (master + workers) | %.1f MB |\n", float64(idleRSS)/1024, float64(ngxIdle)/1024, float64(stockIdle)/1024)
	out.f("| RSS after the load runs (ours, stock Caddy: peak VmHWM) | %.1f MB | %.1f MB | %.1f MB |\n", float64(loadRSS)/1024, float64(ngxLoad)/1024, float64(stockLoad)/1024)
	if m := regexp.MustCompile(`Files: .*`).FindString(genLog); m != "" {
		out.f("\nGenerated site build: `%s`\n", m)
	}

	// Build times (bench/build.go).
	if err := benchBuilds(&out, tmp); err != nil {
		return err
	}
	fmt.Print(out.String())
	return nil
}

func filesLine(log string) string {
	if m := regexp.MustCompile(`Files: (.*)`).FindStringSubmatch(log); m != nil {
		return strings.TrimSpace(m[1])
	}
	return "?"
}

func ms(d float64) string { return fmt.Sprintf("%.2f ms", d) }

func describeMachine(out *report) {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.*)`).FindSubmatch(data); m != nil {
			cpu = string(m[1])
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s*(\d+)`).FindSubmatch(data); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/1024/1024)
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	ngx, _ := exec.Command("nginx", "-v").CombinedOutput()
	wrkv, _ := exec.Command("wrk", "-v").CombinedOutput()
	out.f("## Machine\n\n%s, %d CPUs visible (GOMAXPROCS %d)%s, Linux %s, %s, %s, %s. ",
		cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), mem, strings.TrimSpace(string(kernel)), runtime.Version(),
		strings.TrimSpace(string(ngx)), strings.SplitN(strings.TrimSpace(string(wrkv)), " ", 3)[:2])
	out.f("wrk, nginx and our server share the same CPUs; the machine is shared with other work, so absolute numbers vary with its load (up to 2x between runs).\n")
}

// ---- sites ----

var words = strings.Fields(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor
incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris
nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat
nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim
id est laborum static site server cache header content security policy build layer image`)

func htmlPage(r *rand.Rand, title string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n"+
		"<link rel=\"stylesheet\" href=\"/css/site.css\">\n<script src=\"/assets/app-BxK9z2Qa.js\" defer></script>\n</head>\n<body>\n<main>\n<h1>%s</h1>\n", title, title)
	for b.Len() < size-40 {
		b.WriteString("<p>")
		for range 12 + r.IntN(30) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.String()
}

// jsBundle is pseudo-minified JavaScript with a realistic compression ratio.
func jsBundle(r *rand.Rand, size int) string {
	var b strings.Builder
	ident := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
		n := 1 + r.IntN(3)
		s := make([]byte, n)
		for i := range s {
			s[i] = letters[r.IntN(len(letters))]
		}
		return string(s)
	}
	kw := []string{"function", "return", "const", "let", "if", "else", "for", "new", "this", "typeof", "null", "undefined", "document", "window", "Promise", "async", "await"}
	for b.Len() < size {
		switch r.IntN(5) {
		case 0:
			fmt.Fprintf(&b, "function %s(%s,%s){%s %s.%s(%s,%d);}", ident(), ident(), ident(), kw[r.IntN(len(kw))], ident(), ident(), ident(), r.IntN(100000))
		case 1:
			fmt.Fprintf(&b, "const %s=%q;", ident(), words[r.IntN(len(words))]+"-"+strconv.Itoa(r.IntN(1000)))
		case 2:
			fmt.Fprintf(&b, "if(%s===%s){%s=%s[%d]||%s}else{%s.%s=%d}", ident(), ident(), ident(), ident(), r.IntN(64), kw[r.IntN(len(kw))], ident(), ident(), r.IntN(1<<20))
		case 3:
			fmt.Fprintf(&b, "%s.prototype.%s=function(){return this.%s+%s(%d)};", ident(), ident(), ident(), ident(), r.IntN(999))
		default:
			fmt.Fprintf(&b, "var %s=[%d,%d,%d,%q];", ident(), r.IntN(1000), r.IntN(1000), r.IntN(1000), ident())
		}
	}
	return b.String()[:size]
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generateSite writes the throughput site: a 5 KB page, a 100 KB
// fingerprinted JS bundle, a 1 MB image and a clean-URL page.
func generateSite(dir string) error {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	return writeFiles(dir, map[string][]byte{
		"public/index.html":             []byte(htmlPage(r, "Home", 5*1024)),
		"public/about.html":             []byte(htmlPage(r, "About", 5*1024)),
		"public/404.html":               []byte(htmlPage(r, "Not found", 1500)),
		"public/css/site.css":           []byte(strings.Repeat("body{margin:0 auto;max-width:40em;font-family:system-ui}\n", 60)),
		"public/assets/app-BxK9z2Qa.js": jsFile(r),
		"public/img/photo.jpg":          img,
		"static.toml":                   []byte("root = \"public\"\n"),
	})
}

// realJS is a real minified library, when the machine has one (Debian's
// libjs-jquery): its compression ratios are those of real bundles.
const realJS = "/usr/share/javascript/jquery/jquery.min.js"

func jsFile(r *rand.Rand) []byte {
	if data, err := os.ReadFile(realJS); err == nil && len(data) > 50<<10 {
		return data
	}
	return []byte(jsBundle(r, 100*1024))
}

// generateManyFiles writes n small pages in 100 directories.
func generateManyFiles(dir string, n int) error {
	r := rand.New(rand.NewPCG(3, 4))
	files := map[string][]byte{"public/index.html": []byte(htmlPage(r, "Many", 2048)), "static.toml": []byte("root = \"public\"\n")}
	for i := 1; i < n; i++ {
		files[fmt.Sprintf("public/d%02d/page%05d.html", i%100, i)] = []byte(htmlPage(r, fmt.Sprintf("Page %d", i), 1024+r.IntN(3072)))
	}
	return writeFiles(dir, files)
}

type endpoint struct {
	name, path string
	header     map[string]string
	status     int
	encoding   map[string]string // server -> expected Content-Encoding
}

const browserAE = "gzip, deflate, br, zstd"

func endpoints() []endpoint {
	ae := map[string]string{"Accept-Encoding": browserAE}
	gz := map[string]string{"Accept-Encoding": "gzip"}
	return []endpoint{
		{"5 KB HTML (/), browser Accept-Encoding", "/", ae, 200, map[string]string{"ours": "br", "nginx": "gzip", stockName: "zstd"}},
		{"JS bundle, browser Accept-Encoding", "/assets/app-BxK9z2Qa.js", ae, 200, map[string]string{"ours": "br", "nginx": "gzip", stockName: "zstd"}},
		{"JS bundle, Accept-Encoding: gzip", "/assets/app-BxK9z2Qa.js", gz, 200, map[string]string{"ours": "gzip", "nginx": "gzip", stockName: "gzip"}},
		{"JS bundle, no Accept-Encoding", "/assets/app-BxK9z2Qa.js", nil, 200, map[string]string{"ours": "", "nginx": "", stockName: ""}},
		{"1 MB image", "/img/photo.jpg", ae, 200, map[string]string{"ours": "", "nginx": "", stockName: ""}},
		{"404", "/no/such/page", ae, 404, nil},
		{"clean URL (/about)", "/about", ae, 200, map[string]string{"ours": "br", "nginx": "gzip", stockName: "zstd"}},
	}
}

func checkEndpoint(s *server, ep endpoint) error {
	req, _ := http.NewRequest("GET", s.url+ep.path, nil)
	for k, v := range ep.header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != ep.status {
		return fmt.Errorf("%s %s: status %d, want %d", s.name, ep.path, resp.StatusCode, ep.status)
	}
	if want, ok := ep.encoding[s.name]; ok && resp.Header.Get("Content-Encoding") != want {
		return fmt.Errorf("%s %s: Content-Encoding %q, want %q", s.name, ep.path, resp.Header.Get("Content-Encoding"), want)
	}
	return nil
}

// ---- servers ----

type server struct {
	name string
	url  string
	cmd  *exec.Cmd
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	s.cmd = nil
}

// rss sums VmRSS over the process and its children (nginx workers).
func (s *server) rss() int {
	total := rssKB(s.pid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(s.pid()) {
			total += rssKB(pid)
		}
	}
	return total
}

func statusKB(pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(field + `:\s*(\d+) kB`).FindSubmatch(data)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func rssKB(pid int) int     { return statusKB(pid, "VmRSS") }
func peakRSSKB(pid int) int { return statusKB(pid, "VmHWM") }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close() //nolint:errcheck // only for the port
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(url string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%s: the server exited", url)
		default:
		}
		if resp, err := c.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", url, timeout)
}

// launchEnv is the environment the harness gives the launcher.
func launchEnv(ws *lifecycle.Workspace, port int) []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + ws.HomeDir,
		"PORT=" + strconv.Itoa(port),
		"CNB_PLATFORM_API=" + lifecycle.PlatformAPI,
		"CNB_LAYERS_DIR=" + ws.LayersDir,
		"CNB_APP_DIR=" + ws.AppDir,
	}
}

func buildCred() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		attr.Credential = &syscall.Credential{Uid: lifecycle.BuildUID, Gid: lifecycle.BuildGID, NoSetGroups: true}
	}
	return attr
}

// startOurs runs the web process through the launcher, as the image would,
// with its (JSON access log) output going to logFile.
func startOurs(ws *lifecycle.Workspace, logFile string, env ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// The JSON access log goes to a pipe that is drained, as a container
	// runtime reads stdout; its beginning is kept in logFile.
	pw, err := drainedLog(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(ws.Dir, "cnb", "process", "web"))
	cmd.Dir = ws.AppDir
	cmd.Env = append(launchEnv(ws, port), env...)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = buildCred()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	_ = pw.Close()
	exited := make(chan struct{})
	s := &server{name: "ours", url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	if err := waitHTTP(s.url+"/", 20*time.Second, exited); err != nil {
		s.stop()
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

// siteFiles finds the site layer's manifest and file table.
func siteFiles(ws *lifecycle.Workspace) (manifestPath, tablePath string, err error) {
	matches, _ := filepath.Glob(filepath.Join(ws.LayersDir, "*", "site", manifest.FileName))
	if len(matches) != 1 {
		return "", "", fmt.Errorf("no single site layer under %s", ws.LayersDir)
	}
	return matches[0], filepath.Join(filepath.Dir(matches[0]), table.FileName), nil
}

// readSite reads the manifest and the file table the build wrote.
func readSite(ws *lifecycle.Workspace) (manifest.Manifest, *table.Table, error) {
	mPath, tPath, err := siteFiles(ws)
	if err != nil {
		return manifest.Manifest{}, nil, err
	}
	m, err := manifest.Read(mPath)
	if err != nil {
		return manifest.Manifest{}, nil, err
	}
	t, err := table.Read(tPath)
	return m, t, err
}

// startNginx serves a copy of the site root (hard links) with the build's
// gzip variants as .gz sidecars, the same security headers, gzip_static,
// clean URLs through try_files and the 404 page.
func startNginx(ws *lifecycle.Workspace, dir string) (*server, error) {
	m, t, err := readSite(ws)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	for name, f := range t.Files {
		dst := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.Link(filepath.Join(t.Root, filepath.FromSlash(name)), dst); err != nil {
			return nil, err
		}
		if f.Encoded[table.Gzip] > 0 {
			if err := os.Link(filepath.Join(t.Variants, filepath.FromSlash(table.VariantPath(f.SHA256, table.Gzip))), dst+".gz"); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range []string{dir, root} {
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var hdrs strings.Builder
	for _, h := range m.Headers {
		if h.Value == "" {
			continue
		}
		fmt.Fprintf(&hdrs, "      add_header %s \"%s\" always;\n", h.Name, strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(h.Value))
	}
	conf := fmt.Sprintf(`worker_processes auto;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log %[1]s/access.log combined buffer=64k;
  client_body_temp_path %[1]s/tmp-body;
  proxy_temp_path %[1]s/tmp-proxy;
  fastcgi_temp_path %[1]s/tmp-fastcgi;
  uwsgi_temp_path %[1]s/tmp-uwsgi;
  scgi_temp_path %[1]s/tmp-scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server_tokens off;
  gzip off;
  gzip_static on;
  gzip_vary on;
  etag on;
  server {
    listen 127.0.0.1:%[2]d;
    root %[3]s;
    index index.html;
    error_page 404 /404.html;
    location / {
      try_files $uri $uri.html $uri/ =404;
%[4]s    }
    location = /404.html {
      internal;
%[4]s    }
  }
}
`, dir, port, root, hdrs.String())
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("nginx", "-c", confFile, "-p", dir)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s := &server{name: "nginx", url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	if err := waitHTTP(s.url+"/", 10*time.Second, exited); err != nil {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return nil, fmt.Errorf("nginx: %w\n%s%s", err, stderr.String(), errLog)
	}
	// cmd.Wait is taken by the goroutine; stop via the process group.
	s.cmd = &exec.Cmd{Process: cmd.Process}
	return s, nil
}

// stockName is stock Caddy's name in the report.
const stockName = "stock Caddy"

// buildStockCaddy builds bench/stockcaddy, a separate module (Caddy's
// file_server pulls goldmark and chroma, which stay out of the main go.mod),
// into dir.
func buildStockCaddy(ctx context.Context, repo, dir string) (string, error) {
	bin := filepath.Join(dir, "stockcaddy")
	logf("building bench/stockcaddy")
	cmd := exec.CommandContext(ctx, "go", "build", "-C", filepath.Join(repo, "bench", "stockcaddy"), "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bench/stockcaddy: %w\n%s", err, out)
	}
	return bin, nil
}

// stockCaddyConfig is a stock Caddy file_server site, what the Caddyfile
//
//	root * ROOT
//	header { SECURITY HEADERS }
//	encode zstd gzip
//	try_files {path} {path}.html {path}/
//	file_server
//	handle_errors { rewrite * /404.html; file_server }
//
// gives (plus `log` when logged), in JSON: no admin endpoint, no config
// persisted, no HTTPS, no storage cleaning.
func stockCaddyConfig(listen, root string, headers []policy.Header, logged bool) ([]byte, error) {
	type obj = map[string]any
	set := obj{}
	for _, h := range headers {
		if h.Value != "" {
			set[h.Name] = []string{h.Value}
		}
	}
	common := []obj{
		{"handler": "vars", "root": root},
		{"handler": "headers", "response": obj{"set": set}},
		{"handler": "encode", "encodings": obj{"zstd": obj{}, "gzip": obj{}}, "prefer": []string{"zstd", "gzip"}},
	}
	path := "{http.request.uri.path}"
	routes := []obj{
		{"handle": common},
		{
			"match":  []obj{{"file": obj{"try_files": []string{path, path + ".html", path + "/"}}}},
			"handle": []obj{{"handler": "rewrite", "uri": "{http.matchers.file.relative}"}},
		},
		{"handle": []obj{{"handler": "file_server"}}},
	}
	errorRoutes := []obj{{"handle": append(append([]obj{}, common...),
		obj{"handler": "rewrite", "uri": "/404.html"},
		obj{"handler": "file_server"},
	)}}
	srv := obj{
		"listen":          []string{listen},
		"automatic_https": obj{"disable": true},
		"routes":          routes,
		"errors":          obj{"routes": errorRoutes},
	}
	doc := obj{
		"admin": obj{"disabled": true, "config": obj{"persist": false}},
		"apps": obj{
			"tls":  obj{"disable_storage_clean": true},
			"http": obj{"servers": obj{"stock": srv}},
		},
	}
	if logged {
		srv["logs"] = obj{}
		// Caddy's default encoder is JSON when the output is not a terminal.
		doc["logging"] = obj{"logs": obj{"default": obj{"writer": obj{"output": "stdout"}}}}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// startStockCaddy serves the built site root (the files the build wrote,
// compressed on the fly by encode: file_server's precompressed is off, as in
// a stock configuration) with the same security headers as ours.
func startStockCaddy(ws *lifecycle.Workspace, bin, dir string) (*server, error) {
	m, t, err := readSite(ws)
	if err != nil {
		return nil, err
	}
	// It runs as the build user, as ours does; Caddy's data and config
	// directories (unused: nothing is persisted) are this one.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, lifecycle.BuildUID, lifecycle.BuildGID); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf, err := stockCaddyConfig(fmt.Sprintf("127.0.0.1:%d", port), t.Root, m.Headers, *stockLog)
	if err != nil {
		return nil, err
	}
	confFile := filepath.Join(dir, "caddy.json")
	if err := os.WriteFile(confFile, conf, 0o644); err != nil {
		return nil, err
	}
	// Its output (the access log) goes to a drained pipe, as ours; the
	// beginning is kept.
	logFile := filepath.Join(dir, "output.log")
	pw, err := drainedLog(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, confFile)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = buildCred()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	_ = pw.Close()
	exited := make(chan struct{})
	s := &server{name: stockName, url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	if err := waitHTTP(s.url+"/", 20*time.Second, exited); err != nil {
		s.stop()
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("stock Caddy: %w\n%s", err, log)
	}
	// The same security headers as ours.
	resp, err := http.Get(s.url + "/")
	if err != nil {
		s.stop()
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	for _, h := range m.Headers {
		if h.Value != "" && resp.Header.Get(h.Name) != h.Value {
			s.stop()
			return nil, fmt.Errorf("stock Caddy: %s is %q, want %q", h.Name, resp.Header.Get(h.Name), h.Value)
		}
	}
	return s, nil
}

// startupMedian starts the server binary directly (as the launcher would
// exec it, with the same arguments and environment) and times exec to the
// first 200 on /.
func startupMedian(ws *lifecycle.Workspace, n int) (float64, []float64, error) {
	procs, err := ws.Processes()
	if err != nil || len(procs) == 0 {
		return 0, nil, fmt.Errorf("no processes: %v", err)
	}
	var web lifecycle.Process
	for _, p := range procs {
		if p.Type == "web" {
			web = p
		}
	}
	_, tPath, err := siteFiles(ws)
	if err != nil {
		return 0, nil, err
	}
	var times []float64
	for range n {
		port, err := freePort()
		if err != nil {
			return 0, nil, err
		}
		argv := append(append([]string{}, web.Command...), web.Args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = ws.AppDir
		cmd.Env = append(launchEnv(ws, port), table.EnvVar+"="+tPath)
		cmd.SysProcAttr = buildCred()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, nil, err
		}
		ok := false
		for time.Since(start) < 10*time.Second {
			if status := rawGet(addr); status == 200 {
				ok = true
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		elapsed := time.Since(start)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if !ok {
			return 0, nil, fmt.Errorf("the server did not answer 200 within 10s")
		}
		times = append(times, float64(elapsed.Microseconds())/1000)
	}
	sort.Float64s(times)
	return times[len(times)/2], times, nil
}

func rawGet(addr string) int {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return 0
	}
	defer conn.Close() //nolint:errcheck // probe
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// ---- wrk ----

type wrkResult struct {
	rps, p50, p99, bytesPerResp float64
	n                           int
}

func (a *wrkResult) add(b wrkResult) *wrkResult {
	if a == nil {
		a = &wrkResult{}
	}
	a.rps += b.rps
	a.p50 += b.p50
	a.p99 += b.p99
	a.bytesPerResp += b.bytesPerResp
	a.n++
	return a
}

func (a *wrkResult) mean() wrkResult {
	if a == nil || a.n == 0 {
		return wrkResult{rps: 1, p50: 1, p99: 1, bytesPerResp: 1}
	}
	n := float64(a.n)
	return wrkResult{rps: a.rps / n, p50: a.p50 / n, p99: a.p99 / n, bytesPerResp: a.bytesPerResp / n}
}

func runWrk(url string, header map[string]string) (wrkResult, error) {
	args := []string{"-t2", fmt.Sprintf("-c%d", *conns), fmt.Sprintf("-d%ds", int(duration.Seconds())), "--latency"}
	for k, v := range header {
		args = append(args, "-H", k+": "+v)
	}
	args = append(args, url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %v: %w\n%s", args, err, out)
	}
	return parseWrk(string(out))
}

func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	if m := regexp.MustCompile(`Requests/sec:\s*([\d.]+)`).FindStringSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := regexp.MustCompile(`Transfer/sec:\s*([\d.]+)([KMG]?B)`).FindStringSubmatch(out); m != nil && r.rps > 0 {
		v, _ := strconv.ParseFloat(m[1], 64)
		v *= map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m[2]]
		r.bytesPerResp = v / r.rps
	}
	lat := func(pct string) float64 {
		m := regexp.MustCompile(`\s` + pct + `%\s+([\d.]+)(us|ms|s)`).FindStringSubmatch(out)
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v * map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[m[2]]
	}
	r.p50, r.p99 = lat("50"), lat("99")
	if r.rps == 0 {
		return r, fmt.Errorf("cannot parse wrk output:\n%s", out)
	}
	if strings.Contains(out, "Socket errors") {
		logf("wrk reported socket errors:\n%s", out)
	}
	return r, nil
}

// drainedLog returns the write end of a pipe that is read as fast as a
// container runtime reads a process's output; the first 64 KiB are kept in
// logFile.
func drainedLog(logFile string) (*os.File, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		_ = lf.Close()
		return nil, err
	}
	go func() {
		_, _ = io.CopyN(lf, pr, 64<<10)
		_, _ = io.Copy(io.Discard, pr)
		_ = lf.Close()
	}()
	return pw, nil
}
