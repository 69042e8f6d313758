package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
)

// BuildUID and BuildGID are the user the phases and the app run as when the
// harness runs as root (the lifecycle refuses to run detector and builder as
// root), like the CNB user of a builder image.
const (
	BuildUID = 1000
	BuildGID = 1000
)

// Options describe a workspace.
type Options struct {
	Tools Tools
	// App is the application directory copied into the workspace.
	App string
	// Buildpack is the directory holding buildpack.toml and bin/; the
	// repository root (found from the working directory) when empty.
	Buildpack string
	// BuildEnv are platform environment variables (such as BP_*) given to the
	// buildpack at detect and build, as files in platform/env/.
	BuildEnv map[string]string
}

// Workspace is a build container laid out in a temporary directory:
//
//	<Dir>/app          copy of the application (CNB_APP_DIR)
//	<Dir>/layers       CNB_LAYERS_DIR: group.toml, plan.toml, layers, config/metadata.toml
//	<Dir>/platform     CNB_PLATFORM_DIR, with env/ for BP_* variables
//	<Dir>/buildpacks   <escaped id>/<version>/ copy of the buildpack
//	<Dir>/order.toml   a one-buildpack order
//	<Dir>/cnb          lifecycle and launcher binaries
//	<Dir>/home         HOME of the phases and the app: empty, mode 0555, owned by
//	                   the harness's user (root), so the app cannot write there
//
// When the harness runs as root, app/, layers/ and platform/ belong to
// BuildUID, and the phases and the app run as BuildUID:BuildGID.
type Workspace struct {
	Dir           string
	AppDir        string
	LayersDir     string
	PlatformDir   string
	BuildpacksDir string
	OrderPath     string
	HomeDir       string

	BuildpackID      string
	BuildpackVersion string

	lifecycleDir string // detector, builder -> lifecycle
	processDir   string // web -> launcher
	cred         *syscall.Credential
}

// NewWorkspace creates a workspace holding a copy of opts.App and of the
// buildpack. Call Close to remove it.
func NewWorkspace(opts Options) (ws *Workspace, err error) {
	if opts.Tools.Lifecycle == "" || opts.Tools.Launcher == "" {
		return nil, errors.New("lifecycle: Options.Tools is empty; call EnsureTools first")
	}
	bpDir, id, version, err := findBuildpack(opts.Buildpack)
	if err != nil {
		return nil, err
	}
	if err := checkApp(opts.App); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hardstatic-cnb-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	// MkdirTemp makes 0700 directories: the build user must reach its way in.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	ws = layout(dir, id, version)
	if err := ws.populate(opts, bpDir); err != nil {
		return nil, err
	}
	return ws, nil
}

// findBuildpack returns the buildpack directory (the repository root when
// dir is empty) and its id and version, once it holds an executable
// bin/main.
func findBuildpack(dir string) (bpDir, id, version string, err error) {
	bpDir = dir
	if bpDir == "" {
		if bpDir, err = FindRepoRoot(); err != nil {
			return "", "", "", err
		}
	}
	id, version, err = readBuildpackTOML(filepath.Join(bpDir, "buildpack.toml"))
	if err != nil {
		return "", "", "", err
	}
	main := filepath.Join(bpDir, "bin", "main")
	if fi, err := os.Stat(main); err != nil || fi.Mode().Perm()&0o111 == 0 {
		return "", "", "", fmt.Errorf("lifecycle: %s is not an executable; run `make build` first", main)
	}
	return bpDir, id, version, nil
}

func checkApp(app string) error {
	info, err := os.Stat(app)
	if err != nil {
		return fmt.Errorf("lifecycle: app: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("lifecycle: app %s is not a directory", app)
	}
	return nil
}

// layout names the directories of a workspace in dir (see Workspace).
func layout(dir, id, version string) *Workspace {
	ws := &Workspace{
		Dir:              dir,
		AppDir:           filepath.Join(dir, "app"),
		LayersDir:        filepath.Join(dir, "layers"),
		PlatformDir:      filepath.Join(dir, "platform"),
		BuildpacksDir:    filepath.Join(dir, "buildpacks"),
		OrderPath:        filepath.Join(dir, "order.toml"),
		HomeDir:          filepath.Join(dir, "home"),
		BuildpackID:      id,
		BuildpackVersion: version,
		lifecycleDir:     filepath.Join(dir, "cnb", "lifecycle"),
		processDir:       filepath.Join(dir, "cnb", "process"),
	}
	if os.Geteuid() == 0 {
		ws.cred = &syscall.Credential{Uid: BuildUID, Gid: BuildGID, NoSetGroups: true}
	}
	return ws
}

// populate makes the workspace's directories and fills them: the app, the
// buildpack, the order, the lifecycle's binaries and the build environment.
func (w *Workspace) populate(opts Options, bpDir string) error {
	for _, d := range []string{w.LayersDir, filepath.Join(w.PlatformDir, "env"), w.HomeDir, w.lifecycleDir, w.processDir} {
		if err := mkdirs(w.Dir, d); err != nil {
			return err
		}
	}
	// The app's HOME must not be writable by it: an image's user often has
	// no writable home, and the server must not need one.
	if err := os.Chmod(w.HomeDir, 0o555); err != nil {
		return err
	}
	if err := CopyTree(opts.App, w.AppDir); err != nil {
		return fmt.Errorf("lifecycle: copying the app: %w", err)
	}
	if err := w.copyBuildpack(bpDir); err != nil {
		return fmt.Errorf("lifecycle: copying the buildpack: %w", err)
	}
	order := fmt.Sprintf("[[order]]\n\n  [[order.group]]\n    id = %q\n    version = %q\n", w.BuildpackID, w.BuildpackVersion)
	if err := writeFile(w.OrderPath, []byte(order)); err != nil {
		return err
	}
	if err := w.linkTools(opts.Tools); err != nil {
		return err
	}
	for k, v := range opts.BuildEnv {
		if err := w.SetBuildEnv(k, v); err != nil {
			return err
		}
	}
	return w.giveToBuildUser()
}

// linkTools gives the workspace its lifecycle (detector, builder) and
// launcher (the process web). The binaries are cached under the invoking
// user's home, which the build user may not be able to enter, so each
// workspace gets its own links.
func (w *Workspace) linkTools(tools Tools) error {
	if err := linkOrCopy(tools.Lifecycle, filepath.Join(w.lifecycleDir, "lifecycle")); err != nil {
		return err
	}
	for _, phase := range []string{"detector", "builder"} {
		if err := os.Symlink("lifecycle", filepath.Join(w.lifecycleDir, phase)); err != nil {
			return err
		}
	}
	if err := linkOrCopy(tools.Launcher, filepath.Join(w.lifecycleDir, "launcher")); err != nil {
		return err
	}
	return os.Symlink(filepath.Join(w.lifecycleDir, "launcher"), w.ProcessPath("web"))
}

func readBuildpackTOML(path string) (id, version string, err error) {
	var bp struct {
		Buildpack struct {
			ID      string `toml:"id"`
			Version string `toml:"version"`
		} `toml:"buildpack"`
	}
	if _, err := toml.DecodeFile(path, &bp); err != nil {
		return "", "", fmt.Errorf("lifecycle: reading %s: %w", path, err)
	}
	if bp.Buildpack.ID == "" || bp.Buildpack.Version == "" {
		return "", "", fmt.Errorf("lifecycle: %s has no [buildpack] id and version", path)
	}
	return bp.Buildpack.ID, bp.Buildpack.Version, nil
}

// copyBuildpack copies buildpack.toml and bin/ (keeping bin/detect and
// bin/build as symlinks to main) to buildpacks/<escaped id>/<version>/.
func (w *Workspace) copyBuildpack(src string) error {
	dst := filepath.Join(w.BuildpacksDir, strings.ReplaceAll(w.BuildpackID, "/", "_"), w.BuildpackVersion)
	if err := mkdirs(w.Dir, dst); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(src, "buildpack.toml"), filepath.Join(dst, "buildpack.toml"), 0o644); err != nil {
		return err
	}
	return CopyTree(filepath.Join(src, "bin"), filepath.Join(dst, "bin"))
}

// SetBuildEnv sets a platform environment variable (platform/env/NAME) seen
// by the buildpack at detect and build.
func (w *Workspace) SetBuildEnv(name, value string) error {
	p := filepath.Join(w.PlatformDir, "env", name)
	if err := writeFile(p, []byte(value)); err != nil {
		return err
	}
	if w.cred != nil {
		return os.Lchown(p, BuildUID, BuildGID)
	}
	return nil
}

// giveToBuildUser chowns what the phases write to. It runs before every phase
// so that files a test adds to the app are covered too.
func (w *Workspace) giveToBuildUser() error {
	if w.cred == nil {
		return nil
	}
	for _, d := range []string{w.AppDir, w.LayersDir, w.PlatformDir} {
		if err := chownTree(d, BuildUID, BuildGID); err != nil {
			return fmt.Errorf("lifecycle: chown %s: %w", d, err)
		}
	}
	return nil
}

// Close removes the workspace.
func (w *Workspace) Close() error {
	return os.RemoveAll(w.Dir)
}

// PhaseError is a lifecycle phase that did not succeed. Its message holds the
// phase's output, so that a failing test shows why.
type PhaseError struct {
	Phase    string // detector, builder
	ExitCode int    // -1 when the process could not be run or was killed
	Output   string
	Err      error
}

func (e *PhaseError) Error() string {
	return fmt.Sprintf("%s failed (exit code %d): %v\n--- %s output ---\n%s--- end of %s output ---",
		e.Phase, e.ExitCode, e.Err, e.Phase, ensureNewline(e.Output), e.Phase)
}

func (e *PhaseError) Unwrap() error { return e.Err }

func ensureNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// Detect-phase exit codes of lifecycle v0.21 (platform API 0.15).
const (
	ExitDetectFailed     = 20 // no group passed: the buildpack declined (its detect exited 100)
	ExitDetectBuildpack  = 21 // no group passed and a buildpack errored
	ExitDetectError      = 22 // the detector itself failed
	ExitBuildBuildpack   = 51 // the buildpack's build exited non-zero
	ExitBuildGenericFail = 52
)

// Detect runs the detector, writing layers/group.toml and layers/plan.toml.
// It runs at debug log level: the lifecycle prints a buildpack's detect output
// only there. It returns the combined output, and a *PhaseError when detection
// did not pass.
func (w *Workspace) Detect(ctx context.Context) (string, error) {
	return w.DetectStreaming(ctx, nil)
}

// Build runs the builder with the group and plan of the last Detect. It can
// run again on the same workspace: the layers of the previous build are still
// there, as a platform's restorer would leave their metadata.
func (w *Workspace) Build(ctx context.Context) (string, error) {
	return w.BuildStreaming(ctx, nil)
}

// phase runs a lifecycle phase with the workspace's directories; out, when
// not nil, receives the output as it comes.
func (w *Workspace) phase(ctx context.Context, name string, out io.Writer, args ...string) (string, error) {
	if err := w.giveToBuildUser(); err != nil {
		return "", err
	}
	args = append([]string{
		"-app", w.AppDir,
		"-buildpacks", w.BuildpacksDir,
		"-layers", w.LayersDir,
		"-platform", w.PlatformDir,
		"-no-color",
	}, args...)
	return w.run(ctx, name, out, args...)
}

// RunPhase runs a phase the harness has no method for (analyzer, exporter)
// as it runs detector and builder: from the workspace's lifecycle
// directory, in the same environment, as the build user when the harness
// runs as root. args are all the phase's flags. It returns the combined
// output, and a *PhaseError when the phase failed.
func (w *Workspace) RunPhase(ctx context.Context, name string, args ...string) (string, error) {
	bin := filepath.Join(w.lifecycleDir, name)
	if _, err := os.Lstat(bin); err != nil {
		if err := os.Symlink("lifecycle", bin); err != nil {
			return "", err
		}
	}
	return w.run(ctx, name, nil, args...)
}

// run runs the lifecycle binary named name with args, in its own process
// group; out, when not nil, receives the output as it comes.
func (w *Workspace) run(ctx context.Context, name string, out io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(w.lifecycleDir, name), args...)
	cmd.Dir = w.Dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.HomeDir,
		"CNB_PLATFORM_API=" + PlatformAPI,
	}
	var buf bytes.Buffer
	var sink io.Writer = &buf
	if out != nil {
		sink = io.MultiWriter(&buf, out)
	}
	cmd.Stdout, cmd.Stderr = sink, sink
	// Its own process group, so that a terminal's Ctrl-C reaches only the
	// caller, and cancelling ctx takes down the buildpack it runs too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: w.cred, Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	output := buf.String()
	if err != nil {
		code := -1
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		}
		return output, &PhaseError{Phase: name, ExitCode: code, Output: output, Err: err}
	}
	return output, nil
}

// DetectStreaming is Detect, copying the output to out (when not nil) as it is
// written.
func (w *Workspace) DetectStreaming(ctx context.Context, out io.Writer) (string, error) {
	return w.phase(ctx, "detector", out,
		"-log-level", "debug",
		"-order", w.OrderPath,
		"-group", filepath.Join(w.LayersDir, "group.toml"),
		"-plan", filepath.Join(w.LayersDir, "plan.toml"),
	)
}

// BuildStreaming is Build, copying the output to out (when not nil) as it is
// written.
func (w *Workspace) BuildStreaming(ctx context.Context, out io.Writer) (string, error) {
	group := filepath.Join(w.LayersDir, "group.toml")
	if _, err := os.Stat(group); err != nil {
		return "", fmt.Errorf("lifecycle: no %s: run Detect before Build", group)
	}
	return w.phase(ctx, "builder", out,
		"-group", group,
		"-plan", filepath.Join(w.LayersDir, "plan.toml"),
	)
}

// Process is a process type declared by the build (layers/config/metadata.toml).
type Process struct {
	Type        string   `toml:"type"`
	Command     []string `toml:"command"`
	Args        []string `toml:"args"`
	Direct      bool     `toml:"direct"`
	Default     bool     `toml:"default"`
	BuildpackID string   `toml:"buildpack-id"`
	WorkingDir  string   `toml:"working-dir"`
}

// Processes reads the process types of the last successful build. It returns
// (nil, nil) when layers/config/metadata.toml does not exist. The builder
// records the default process type once, as buildpack-default-process-type;
// Processes reports it as Default on that process.
func (w *Workspace) Processes() ([]Process, error) {
	var md struct {
		Processes   []Process `toml:"processes"`
		DefaultType string    `toml:"buildpack-default-process-type"`
	}
	_, err := toml.DecodeFile(w.MetadataPath(), &md)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range md.Processes {
		if md.Processes[i].Type == md.DefaultType {
			md.Processes[i].Default = true
		}
	}
	return md.Processes, nil
}

// MetadataPath is layers/config/metadata.toml, which the builder writes and the
// launcher reads.
func (w *Workspace) MetadataPath() string {
	return filepath.Join(w.LayersDir, "config", "metadata.toml")
}
