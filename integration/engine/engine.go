// Package engine runs a container engine for the tests: Debian's podman,
// rootful, serving the Docker API on a unix socket, so that `pack build` and
// `docker run` work as they do for a user, with no Docker daemon.
//
// podman keeps its images, containers and volumes in a storage of its own
// under the user cache directory ($XDG_CACHE_HOME/hardstatic/engine), so
// base images and the builder survive between runs and nothing of the
// machine's own podman is touched. One process at a time uses it (a file
// lock). The OCI runtime is scripts/runc-without-rlimits: podman always puts
// rlimits into a container's config, and sandboxes without CAP_SYS_RESOURCE
// refuse them.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// Unavailable is the error of Start when this machine cannot run the engine;
// Reason says why and what to install.
type Unavailable struct{ Reason string }

func (u *Unavailable) Error() string { return "container engine unavailable: " + u.Reason }

// Engine is a running podman service.
type Engine struct {
	// Host is the DOCKER_HOST of the service: unix:///.../docker.sock.
	Host string
	// Dir is the engine's state directory (configuration, storage).
	Dir string
	// RepoRoot is the repository the engine was started for.
	RepoRoot string

	env    []string
	tmp    string
	svc    *exec.Cmd
	out    *lifecycle.SyncBuffer
	done   chan struct{}
	unlock func()
	once   sync.Once
}

// runRoot is podman's run-time state (locks, container state). It must stay
// the same between runs: podman's database records it.
const runRoot = "/run/hardstatic-engine"

// StateDir is $XDG_CACHE_HOME/hardstatic/engine (~/.cache/... by default).
func StateDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "hardstatic", "engine"), nil
}

// Start checks what the engine needs, takes the engine's lock (waiting for
// another test process that holds it), starts `podman system service` on a
// socket in a temporary directory and waits until it answers the Docker
// API's /_ping. Leftover containers and volumes of an earlier run that did
// not end cleanly are removed.
func Start(ctx context.Context, repoRoot string) (*Engine, error) {
	if os.Geteuid() != 0 {
		return nil, &Unavailable{"podman runs rootful here: run the tests as root"}
	}
	var missing []string
	for _, bin := range []string{"podman", "jq", "docker", "slirp4netns"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := os.Stat("/usr/sbin/runc"); err != nil {
		missing = append(missing, "runc")
	}
	if len(missing) > 0 {
		return nil, &Unavailable{fmt.Sprintf("%s not found (apt-get install podman runc slirp4netns jq; the docker CLI talks to podman's socket)", strings.Join(missing, ", "))}
	}
	wrapper := filepath.Join(repoRoot, "scripts", "runc-without-rlimits")
	if _, err := os.Stat(wrapper); err != nil {
		return nil, fmt.Errorf("the OCI runtime wrapper: %w", err)
	}
	dir, err := StateDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lifecycle.LockFile(ctx, dir+".lock")
	if err != nil {
		return nil, err
	}
	e := &Engine{Dir: dir, RepoRoot: repoRoot, unlock: unlock, out: &lifecycle.SyncBuffer{}, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			e.Stop()
		}
	}()
	if e.tmp, err = os.MkdirTemp("", "hardstatic-engine-"); err != nil {
		return nil, err
	}
	if err := writeConfig(dir, wrapper); err != nil {
		return nil, err
	}
	home := filepath.Join(e.tmp, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	sock := filepath.Join(e.tmp, "docker.sock")
	e.Host = "unix://" + sock
	e.env = []string{
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(dir, "registries.conf"),
		"DOCKER_HOST=" + e.Host,
		"DOCKER_CONFIG=" + filepath.Join(home, ".docker"),
		"PACK_HOME=" + filepath.Join(home, ".pack"),
		// pack sees that it runs in a container (this sandbox) and would
		// otherwise name its cache volumes anew for every build.
		"PACK_VOLUME_KEY=hardstatic-integration-tests",
	}

	// What an interrupted run left behind: containers would hold ports and
	// volumes would keep pack's build caches (the first build must be cold).
	for _, args := range [][]string{{"rm", "--all", "--force", "--time", "0"}, {"volume", "prune", "--force"}} {
		if out, err := e.Run(ctx, "podman", args...); err != nil {
			return nil, &Unavailable{fmt.Sprintf("podman %s: %v\n%s", strings.Join(args, " "), err, out)}
		}
	}

	e.svc = exec.Command("podman", "system", "service", "--time=0", e.Host) //nolint:gosec // fixed program
	e.svc.Env = e.Env()
	e.svc.Stdout, e.svc.Stderr = e.out, e.out
	e.svc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.svc.Start(); err != nil {
		return nil, &Unavailable{"starting podman system service: " + err.Error()}
	}
	go func() { _ = e.svc.Wait(); close(e.done) }()
	if err := e.waitPing(ctx, sock); err != nil {
		return nil, &Unavailable{fmt.Sprintf("podman system service did not answer the Docker API: %v\n--- podman output ---\n%s", err, e.out.String())}
	}
	ok = true
	return e, nil
}

// writeConfig writes the containers.conf, storage.conf and registries.conf
// the engine runs with. No registry is configured: nothing is pulled.
func writeConfig(dir, wrapper string) error {
	files := map[string]string{
		"containers.conf": fmt.Sprintf(`# written by integration/engine
[engine]
runtime = "hardstatic-runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %q
tmp_dir = %q
image_default_transport = "docker://"

[engine.runtimes]
hardstatic-runc = [%q]
`, filepath.Join(runRoot, "events.log"), filepath.Join(runRoot, "libpod"), wrapper),
		"storage.conf": fmt.Sprintf(`# written by integration/engine
[storage]
driver = "overlay"
graphroot = %q
runroot = %q
`, filepath.Join(dir, "storage"), runRoot),
		"registries.conf": "# written by integration/engine: no registries, nothing is pulled\nunqualified-search-registries = []\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) waitPing(ctx context.Context, sock string) error {
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://d/_ping", nil)
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/_ping: %s", resp.Status)
		}
		last = err
		select {
		case <-e.done:
			return fmt.Errorf("podman exited (%v)", e.svc.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Env is the environment for podman, docker and pack commands against this
// engine: the process's own plus DOCKER_HOST and podman's configuration.
func (e *Engine) Env() []string {
	return append(os.Environ(), e.env...)
}

// Command is an *exec.Cmd for name (podman, docker, pack, a script) with the
// engine's environment.
func (e *Engine) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.Env()
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Run runs a command with the engine's environment and returns its combined
// output.
func (e *Engine) Run(ctx context.Context, name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := e.Command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Output is what the podman service printed.
func (e *Engine) Output() string { return e.out.String() }

// Stop removes every container and the untagged images, stops the service
// (SIGTERM, then SIGKILL) and releases the lock. It is safe to call more than once.
func (e *Engine) Stop() {
	e.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if e.svc != nil && e.svc.Process != nil {
			_, _ = e.Run(ctx, "podman", "rm", "--all", "--force", "--time", "1")
			// Images that lost their name to a newer build (old builders,
			// old app images) would pile up in the cache between runs.
			_, _ = e.Run(ctx, "podman", "image", "prune", "--force")
			_ = syscall.Kill(-e.svc.Process.Pid, syscall.SIGTERM)
			select {
			case <-e.done:
			case <-time.After(15 * time.Second):
				_ = syscall.Kill(-e.svc.Process.Pid, syscall.SIGKILL)
				<-e.done
			}
		}
		if e.tmp != "" {
			_ = os.RemoveAll(e.tmp)
		}
		if e.unlock != nil {
			e.unlock()
		}
	})
}

// ImageLabel is a label of a local image, "" when the image or the label is
// missing.
func (e *Engine) ImageLabel(ctx context.Context, image, label string) string {
	out, err := e.Run(ctx, "podman", "image", "inspect", "--format", fmt.Sprintf("{{index .Config.Labels %q}}", label), image)
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(out)
	if v == "<no value>" {
		return ""
	}
	return v
}

// ImageID is the ID of a local image, "" when it is missing.
func (e *Engine) ImageID(ctx context.Context, image string) string {
	out, err := e.Run(ctx, "podman", "image", "inspect", "--format", "{{.Id}}", image)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// IsUnavailable reports whether err says the engine cannot run here.
func IsUnavailable(err error) bool {
	var u *Unavailable
	return errors.As(err, &u)
}
