package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LaunchOptions tune Workspace.LaunchWith.
type LaunchOptions struct {
	// ProcessType is the process to run; "web" when empty.
	ProcessType string
	// Port is given to the app as $PORT; a free port when 0.
	Port int
	// Env is added to the app's environment, overriding the defaults (PATH,
	// HOME=<workspace>/home, PORT and the CNB_* variables of the launcher).
	Env map[string]string
	// Output, when not nil, also receives the app's output as it is written.
	Output io.Writer
	// ReadyTimeout is how long to wait for the port to answer HTTP; 15s when 0.
	ReadyTimeout time.Duration
}

// Server is a launched process.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Port int
	Pid  int

	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan struct{}
	exitCode int
	waitErr  error
	stopOnce sync.Once
	stopCode int
	stopErr  error
}

// Launch runs the web process with env added to its environment, on a free
// port, and waits until it answers HTTP.
func (w *Workspace) Launch(env map[string]string) (*Server, error) {
	return w.LaunchWith(LaunchOptions{Env: env})
}

// LaunchWith runs a process type through the launcher, as a platform runs the
// exported image: the launcher, named after the process type, reads
// layers/config/metadata.toml, sets up the layers' environment and execs the
// process. When the harness runs as root the process runs as
// BuildUID:BuildGID. LaunchWith returns once the port answers HTTP.
func (w *Workspace) LaunchWith(opts LaunchOptions) (*Server, error) {
	if opts.ProcessType == "" {
		opts.ProcessType = "web"
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 15 * time.Second
	}
	if _, err := os.Stat(w.MetadataPath()); err != nil {
		return nil, fmt.Errorf("lifecycle: no %s: run a successful Build before Launch", w.MetadataPath())
	}
	bin := filepath.Join(w.processDir, opts.ProcessType)
	if _, err := os.Lstat(bin); err != nil {
		if err := os.Symlink(filepath.Join(w.lifecycleDir, "launcher"), bin); err != nil {
			return nil, err
		}
	}
	// A free port can be taken by someone else before the app binds it: retry
	// with another when the port was ours to choose.
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			var err error
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		s, err := w.start(bin, port, opts)
		if err == nil || opts.Port != 0 || attempt == 3 || !strings.Contains(s.Output(), "address already in use") {
			return s, err
		}
	}
}

func (w *Workspace) start(bin string, port int, opts LaunchOptions) (*Server, error) {
	cmd := exec.Command(bin)
	cmd.Dir = w.AppDir
	cmd.Env = w.LaunchEnv(port, opts.Env)
	s := &Server{
		URL:  "http://127.0.0.1:" + strconv.Itoa(port),
		Port: port,
		cmd:  cmd,
		out:  &syncBuffer{},
		done: make(chan struct{}),
	}
	var sink io.Writer = s.out
	if opts.Output != nil {
		sink = io.MultiWriter(s.out, opts.Output)
	}
	cmd.Stdout, cmd.Stderr = sink, sink
	// Its own process group, so that Ctrl-C in a terminal reaches only us and
	// Kill can take down anything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: w.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return s, fmt.Errorf("lifecycle: starting %s: %w", bin, err)
	}
	s.Pid = cmd.Process.Pid
	go func() {
		s.waitErr = cmd.Wait()
		s.exitCode = exitCode(cmd.ProcessState)
		close(s.done)
	}()
	if err := s.waitReady(opts.ReadyTimeout); err != nil {
		s.Kill()
		return s, err
	}
	return s, nil
}

// LaunchEnv is the environment a platform gives the launcher of this
// workspace's image, listening on port: PATH, HOME=<workspace>/home, PORT and
// the CNB_* variables, with extra added over them. It is sorted by name.
func (w *Workspace) LaunchEnv(port int, extra map[string]string) []string {
	env := map[string]string{
		"PATH":             "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME":             w.HomeDir,
		"PORT":             strconv.Itoa(port),
		"CNB_PLATFORM_API": PlatformAPI,
		"CNB_LAYERS_DIR":   w.LayersDir,
		"CNB_APP_DIR":      w.AppDir,
	}
	maps.Copy(env, extra)
	list := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		list = append(list, k+"="+env[k])
	}
	return list
}

// ProcessPath is the launcher of a process type, as the image's entry point
// names it (<workspace>/cnb/process/<type>).
func (w *Workspace) ProcessPath(processType string) string {
	return filepath.Join(w.processDir, processType)
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close() //nolint:errcheck // only its number is used
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP polls url until it answers HTTP (any status) and returns nil, or
// returns an error once timeout has passed or exited is closed (the process
// that should answer has exited; nil when there is none to watch).
func WaitHTTP(url string, timeout time.Duration, exited <-chan struct{}) error {
	client := &http.Client{
		Timeout:       time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			return errExited
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing answered HTTP on %s within %s (last error: %w)", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var errExited = errors.New("the process exited")

func (s *Server) waitReady(timeout time.Duration) error {
	err := WaitHTTP(s.URL+"/", timeout, s.done)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errExited):
		<-s.done
		return fmt.Errorf("lifecycle: the process exited with code %d before answering on %s\n--- process output ---\n%s--- end of process output ---",
			s.exitCode, s.URL, ensureNewline(s.Output()))
	default:
		return fmt.Errorf("lifecycle: %w\n--- process output ---\n%s--- end of process output ---", err, ensureNewline(s.Output()))
	}
}

// Output is everything the process wrote to stdout and stderr so far.
func (s *Server) Output() string { return s.out.String() }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// ExitCode is the exit code once Done is closed: 128+N when killed by
// signal N.
func (s *Server) ExitCode() int {
	<-s.done
	return s.exitCode
}

// Signal sends sig to the process (not to its group).
func (s *Server) Signal(sig os.Signal) error {
	select {
	case <-s.done:
		return errors.New("lifecycle: the process has exited")
	default:
	}
	return s.cmd.Process.Signal(sig)
}

// DefaultStopTimeout is how long Stop waits after SIGTERM.
const DefaultStopTimeout = 10 * time.Second

// Stop sends SIGTERM, as a container runtime does, and waits for the process
// to exit. It returns the exit code (128+N when killed by signal N); after
// DefaultStopTimeout it kills the process group and returns an error. Calling
// it again returns the same result.
func (s *Server) Stop() (int, error) {
	return s.StopWithin(DefaultStopTimeout)
}

// StopWithin is Stop with a timeout.
func (s *Server) StopWithin(timeout time.Duration) (int, error) {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
			s.stopCode = s.exitCode
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			s.stopCode = s.exitCode
		case <-time.After(timeout):
			s.Kill()
			s.stopCode = s.exitCode
			s.stopErr = fmt.Errorf("lifecycle: the process did not exit within %s of SIGTERM; killed\n--- process output ---\n%s--- end of process output ---",
				timeout, ensureNewline(s.Output()))
		}
	})
	return s.stopCode, s.stopErr
}

// Kill sends SIGKILL to the process group and waits for the process.
func (s *Server) Kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SyncBuffer collects a process's output written from several goroutines.
type SyncBuffer = syncBuffer
