package integration

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// The manifests in examples/kubernetes are valid for the Kubernetes API and
// say what the README promises (read-only root, non-root, no capabilities,
// probes, resources, PORT, an autoscaler, a kpack Image with the builder of
// examples/builder). kubeconform would need its schemas from GitHub, so the
// check is examples/kubernetes/validate: strict decoding into k8s.io/api's
// own types, offline. A broken copy proves the check fails.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "examples", "kubernetes")
	bin := filepath.Join(t.TempDir(), "validate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(dir, "validate")
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building examples/kubernetes/validate: %v\n%s", err, out)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(manifests) < 4 {
		t.Fatalf("examples/kubernetes has %d manifests: %q", len(manifests), manifests)
	}
	order := filepath.Join(root, "examples", "builder", "builder.toml")
	validate := func(files ...string) (string, int) {
		out, err := exec.Command(bin, append(files, "-order", order)...).CombinedOutput() //nolint:gosec // our own tool
		var ee *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &ee):
			return string(out), ee.ExitCode()
		}
		t.Fatalf("validate: %v\n%s", err, out)
		return "", -1
	}

	out, code := validate(manifests...)
	if code != 0 || !strings.Contains(out, "8 objects valid") {
		t.Fatalf("examples/kubernetes: exit %d, want 0 and 8 objects valid:\n%s", code, out)
	}
	for _, want := range []string{"Deployment/my-site", "Service/my-site", "HorizontalPodAutoscaler/my-site", "Image/my-site", "ClusterBuilder/hardstatic"} {
		if !strings.Contains(out, "decoded") || !strings.Contains(out, want) {
			t.Errorf("validate did not check %s:\n%s", want, out)
		}
	}

	// A copy with a misspelt field, a writable root and a Service pointing
	// at a port the pod does not have.
	broken := t.TempDir()
	for _, f := range manifests {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		switch filepath.Base(f) {
		case "deployment.yaml":
			s = strings.Replace(s, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1)
			s = strings.Replace(s, "imagePullPolicy: IfNotPresent", "imagePullPolicy: IfNotPresent\n          imagePulPolicy: Always", 1)
		case "service.yaml":
			s = strings.Replace(s, "targetPort: http", "targetPort: https", 1)
		}
		writeFile(t, filepath.Join(broken, filepath.Base(f)), s)
	}
	files, _ := filepath.Glob(filepath.Join(broken, "*.yaml"))
	out, code = validate(files...)
	if code != 1 {
		t.Fatalf("validate accepted broken manifests (exit %d):\n%s", code, out)
	}
	if !strings.Contains(out, `unknown field "imagePulPolicy"`) {
		t.Errorf("validate does not name the misspelt field:\n%s", out)
	}
	// The strict decode stops at the misspelt Deployment; fix it and see the rest.
	writeFile(t, filepath.Join(broken, "deployment.yaml"), strings.Replace(readString(t, filepath.Join(broken, "deployment.yaml")), "\n          imagePulPolicy: Always", "", 1))
	out, code = validate(files...)
	for _, want := range []string{"readOnlyRootFilesystem is not true", `targetPort "https" is not a port of Deployment my-site`} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("validate (exit %d) does not report %q:\n%s", code, want, out)
		}
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
