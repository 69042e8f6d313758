// Command validate checks the manifests in examples/kubernetes offline.
//
//	go -C examples/kubernetes/validate run . ../*.yaml
//
// No schema is downloaded: every Kubernetes object is decoded strictly into
// the API's own Go types (k8s.io/api: unknown or misspelt fields, wrong types
// and duplicate keys are errors), names and labels are checked with
// apimachinery's validation, and the kpack resources, whose Go module the
// module proxy does not serve, are decoded strictly into the fields of
// kpack.io/v1alpha2 written out here. Then the manifests are checked
// against each other and against what the image needs: selectors match, the
// Service and probes use a declared port, PORT is the container port, the
// root file system is read-only, the user is not root, all capabilities are
// dropped, resources are set, the autoscaler targets the Deployment, and the
// kpack order is the order of examples/builder/builder.toml.
//
// It prints one line per object and exits 1 with every problem found.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

type object struct {
	file string
	kind string
	name string
	obj  any
}

type checker struct {
	problems []string
	objects  []object
}

func (c *checker) fail(o object, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("%s: %s/%s: %s", o.file, o.kind, o.name, fmt.Sprintf(format, args...)))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate FILE.yaml... [-order builder.toml]")
		os.Exit(2)
	}
	var files []string
	builderTOML := ""
	for i := 1; i < len(os.Args); i++ {
		if os.Args[i] == "-order" && i+1 < len(os.Args) {
			builderTOML = os.Args[i+1]
			i++
			continue
		}
		files = append(files, os.Args[i])
	}
	c := &checker{}
	for _, f := range files {
		c.decodeFile(f)
	}
	c.crossCheck(builderTOML)
	for _, o := range c.objects {
		fmt.Printf("decoded %s %s/%s\n", o.file, o.kind, o.name)
	}
	if len(c.problems) > 0 {
		for _, p := range c.problems {
			fmt.Println("INVALID", p)
		}
		fmt.Printf("%d objects, %d problems\n", len(c.objects), len(c.problems))
		os.Exit(1)
	}
	fmt.Printf("%d objects valid\n", len(c.objects))
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func (c *checker) decodeFile(path string) {
	data, err := os.ReadFile(path) //nolint:gosec // files named on the command line
	if err != nil {
		c.problems = append(c.problems, err.Error())
		return
	}
	file := filepath.Base(path)
	for _, doc := range docSep.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			c.problems = append(c.problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		obj, ok := newObject(tm.APIVersion, tm.Kind)
		if !ok {
			c.problems = append(c.problems, fmt.Sprintf("%s: unknown apiVersion/kind %s %s", file, tm.APIVersion, tm.Kind))
			continue
		}
		o := object{file: file, kind: tm.Kind, obj: obj}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			o.name = "?"
			c.fail(o, "%v", err)
			continue
		}
		meta := metaOf(obj)
		o.name = meta.Name
		for _, msg := range validation.IsDNS1123Subdomain(meta.Name) {
			c.fail(o, "metadata.name %q: %s", meta.Name, msg)
		}
		if meta.Namespace != "" {
			for _, msg := range validation.IsDNS1123Label(meta.Namespace) {
				c.fail(o, "metadata.namespace %q: %s", meta.Namespace, msg)
			}
		}
		checkLabels(c, o, "metadata.labels", meta.Labels)
		c.objects = append(c.objects, o)
	}
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "kpack.io/v1alpha2 ClusterStack":
		return &kpackClusterStack{}, true
	case "kpack.io/v1alpha2 ClusterStore":
		return &kpackClusterStore{}, true
	case "kpack.io/v1alpha2 ClusterBuilder":
		return &kpackClusterBuilder{}, true
	case "kpack.io/v1alpha2 Image":
		return &kpackImage{}, true
	}
	return nil, false
}

func metaOf(obj any) metav1.ObjectMeta {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return o.ObjectMeta
	case *corev1.Service:
		return o.ObjectMeta
	case *autoscalingv2.HorizontalPodAutoscaler:
		return o.ObjectMeta
	case *policyv1.PodDisruptionBudget:
		return o.ObjectMeta
	case *kpackClusterStack:
		return o.ObjectMeta
	case *kpackClusterStore:
		return o.ObjectMeta
	case *kpackClusterBuilder:
		return o.ObjectMeta
	case *kpackImage:
		return o.ObjectMeta
	}
	return metav1.ObjectMeta{}
}

func checkLabels(c *checker, o object, where string, l map[string]string) {
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			c.fail(o, "%s key %q: %s", where, k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			c.fail(o, "%s[%q] = %q: %s", where, k, v, msg)
		}
	}
}

func find[T any](c *checker) []T {
	var out []T
	for _, o := range c.objects {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func objectOf(c *checker, obj any) object {
	for _, o := range c.objects {
		if o.obj == obj {
			return o
		}
	}
	return object{}
}

func (c *checker) crossCheck(builderTOML string) {
	deployments := find[*appsv1.Deployment](c)
	for _, d := range deployments {
		c.checkDeployment(objectOf(c, d), d)
	}
	for _, s := range find[*corev1.Service](c) {
		o := objectOf(c, s)
		d := matchingDeployment(deployments, s.Spec.Selector)
		if d == nil {
			c.fail(o, "selector %v matches no Deployment's pods", s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal != "" && containerPort(d, p.TargetPort.StrVal) == 0 {
				c.fail(o, "targetPort %q is not a port of Deployment %s", p.TargetPort.StrVal, d.Name)
			}
		}
	}
	for _, h := range find[*autoscalingv2.HorizontalPodAutoscaler](c) {
		o := objectOf(c, h)
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !slices.ContainsFunc(deployments, func(d *appsv1.Deployment) bool { return d.Name == ref.Name }) {
			c.fail(o, "scaleTargetRef %s %s/%s is not a Deployment here", ref.APIVersion, ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			c.fail(o, "replicas from %v to %d: want at least 2, and max >= min", h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			c.fail(o, "no metrics to scale on")
		}
	}
	for _, p := range find[*policyv1.PodDisruptionBudget](c) {
		if p.Spec.Selector == nil || matchingDeployment(deployments, p.Spec.Selector.MatchLabels) == nil {
			c.fail(objectOf(c, p), "selector matches no Deployment's pods")
		}
	}
	c.checkKpack(builderTOML)
}

func matchingDeployment(ds []*appsv1.Deployment, selector map[string]string) *appsv1.Deployment {
	if len(selector) == 0 {
		return nil
	}
	for _, d := range ds {
		if labels.SelectorFromSet(selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			return d
		}
	}
	return nil
}

func containerPort(d *appsv1.Deployment, name string) int32 {
	for _, ct := range d.Spec.Template.Spec.Containers {
		for _, p := range ct.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}

func (c *checker) checkDeployment(o object, d *appsv1.Deployment) {
	if d.Spec.Selector == nil {
		c.fail(o, "no spec.selector")
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		c.fail(o, "spec.selector does not match the pod template's labels (%v)", err)
	}
	checkLabels(c, o, "spec.template.metadata.labels", d.Spec.Template.Labels)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		c.fail(o, "%d containers, want the one web container", len(pod.Containers))
		return
	}
	ct := pod.Containers[0]
	for _, msg := range validation.IsDNS1123Label(ct.Name) {
		c.fail(o, "container name %q: %s", ct.Name, msg)
	}
	if ct.Image == "" {
		c.fail(o, "container %s has no image", ct.Name)
	}
	var port int32
	for _, p := range ct.Ports {
		for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
			c.fail(o, "containerPort %d: %s", p.ContainerPort, msg)
		}
		if p.Name != "" {
			for _, msg := range validation.IsValidPortName(p.Name) {
				c.fail(o, "port name %q: %s", p.Name, msg)
			}
		}
		port = p.ContainerPort
	}
	var portEnv string
	for _, e := range ct.Env {
		if e.Name == "PORT" {
			portEnv = e.Value
		}
	}
	if port == 0 || portEnv != fmt.Sprint(port) {
		c.fail(o, "PORT is %q and the container port %d: the server listens on $PORT, so they must agree", portEnv, port)
	}
	psc, sc := pod.SecurityContext, ct.SecurityContext
	nonRoot := (psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot) || (sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot)
	if !nonRoot {
		c.fail(o, "runAsNonRoot is not true")
	}
	switch {
	case sc == nil:
		c.fail(o, "container %s has no securityContext", ct.Name)
	default:
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			c.fail(o, "readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			c.fail(o, "allowPrivilegeEscalation is not false")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) || len(sc.Capabilities.Add) > 0 {
			c.fail(o, "capabilities: want drop [ALL] and nothing added")
		}
		if sc.Privileged != nil && *sc.Privileged {
			c.fail(o, "privileged")
		}
	}
	for name, p := range map[string]*corev1.Probe{"readinessProbe": ct.ReadinessProbe, "livenessProbe": ct.LivenessProbe} {
		switch {
		case p == nil:
			c.fail(o, "no %s", name)
		case p.HTTPGet != nil:
			if p.HTTPGet.Port.StrVal != "" && containerPort(d, p.HTTPGet.Port.StrVal) == 0 {
				c.fail(o, "%s uses port %q, which the container does not declare", name, p.HTTPGet.Port.StrVal)
			}
		case p.TCPSocket != nil:
			if p.TCPSocket.Port.StrVal != "" && containerPort(d, p.TCPSocket.Port.StrVal) == 0 {
				c.fail(o, "%s uses port %q, which the container does not declare", name, p.TCPSocket.Port.StrVal)
			}
		default:
			c.fail(o, "%s checks neither HTTP nor TCP", name)
		}
	}
	if ct.Resources.Requests.Cpu().IsZero() || ct.Resources.Requests.Memory().IsZero() || ct.Resources.Limits.Memory().IsZero() {
		c.fail(o, "resources: want cpu and memory requests and a memory limit")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		c.fail(o, "automountServiceAccountToken is not false (the server needs no API access)")
	}
}

// kpack.io/v1alpha2, the fields these examples use (kpack's
// pkg/apis/build/v1alpha2 and core/v1alpha1 types); strict decoding rejects
// any other.
type kpackClusterStack struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ID         string `json:"id"`
		BuildImage struct {
			Image string `json:"image"`
		} `json:"buildImage"`
		RunImage struct {
			Image string `json:"image"`
		} `json:"runImage"`
		ServiceAccountRef *corev1.ObjectReference `json:"serviceAccountRef,omitempty"`
	} `json:"spec"`
}

type kpackClusterStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Sources []struct {
			Image string `json:"image"`
		} `json:"sources"`
		ServiceAccountRef *corev1.ObjectReference `json:"serviceAccountRef,omitempty"`
	} `json:"spec"`
}

type kpackOrderEntry struct {
	Group []struct {
		ID       string `json:"id"`
		Version  string `json:"version,omitempty"`
		Optional bool   `json:"optional,omitempty"`
	} `json:"group"`
}

type kpackClusterBuilder struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Tag               string                 `json:"tag"`
		Stack             corev1.ObjectReference `json:"stack"`
		Store             corev1.ObjectReference `json:"store"`
		Order             []kpackOrderEntry      `json:"order"`
		ServiceAccountRef corev1.ObjectReference `json:"serviceAccountRef"`
	} `json:"spec"`
}

type kpackImage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Tag                string                 `json:"tag"`
		Builder            corev1.ObjectReference `json:"builder"`
		ServiceAccountName string                 `json:"serviceAccountName,omitempty"`
		Source             struct {
			Git *struct {
				URL      string `json:"url"`
				Revision string `json:"revision"`
			} `json:"git,omitempty"`
			Blob *struct {
				URL string `json:"url"`
			} `json:"blob,omitempty"`
			Registry *struct {
				Image string `json:"image"`
			} `json:"registry,omitempty"`
			SubPath string `json:"subPath,omitempty"`
		} `json:"source"`
		Build *struct {
			Env       []corev1.EnvVar             `json:"env,omitempty"`
			Resources corev1.ResourceRequirements `json:"resources,omitempty"`
		} `json:"build,omitempty"`
	} `json:"spec"`
}

func (c *checker) checkKpack(builderTOML string) {
	stacks := find[*kpackClusterStack](c)
	stores := find[*kpackClusterStore](c)
	builders := find[*kpackClusterBuilder](c)
	for _, s := range stacks {
		if s.Spec.ID == "" || s.Spec.BuildImage.Image == "" || s.Spec.RunImage.Image == "" {
			c.fail(objectOf(c, s), "want id, buildImage.image and runImage.image")
		}
	}
	for _, s := range stores {
		if len(s.Spec.Sources) == 0 || slices.ContainsFunc(s.Spec.Sources, func(x struct {
			Image string `json:"image"`
		}) bool {
			return x.Image == ""
		}) {
			c.fail(objectOf(c, s), "want sources, each with an image")
		}
	}
	for _, b := range builders {
		o := objectOf(c, b)
		if b.Spec.Tag == "" {
			c.fail(o, "no tag")
		}
		if b.Spec.Stack.Kind != "ClusterStack" || !slices.ContainsFunc(stacks, func(s *kpackClusterStack) bool { return s.Name == b.Spec.Stack.Name }) {
			c.fail(o, "stack %s/%s is not a ClusterStack here", b.Spec.Stack.Kind, b.Spec.Stack.Name)
		}
		if b.Spec.Store.Kind != "ClusterStore" || !slices.ContainsFunc(stores, func(s *kpackClusterStore) bool { return s.Name == b.Spec.Store.Name }) {
			c.fail(o, "store %s/%s is not a ClusterStore here", b.Spec.Store.Kind, b.Spec.Store.Name)
		}
		if builderTOML != "" {
			want, err := builderOrder(builderTOML)
			if err != nil {
				c.fail(o, "%v", err)
			} else if got := kpackOrder(b.Spec.Order); !slices.Equal(got, want) {
				c.fail(o, "order %q differs from %s's %q", got, filepath.Base(builderTOML), want)
			}
		}
	}
	for _, img := range find[*kpackImage](c) {
		o := objectOf(c, img)
		if img.Spec.Tag == "" {
			c.fail(o, "no tag")
		}
		if img.Spec.Builder.Kind != "ClusterBuilder" || !slices.ContainsFunc(builders, func(b *kpackClusterBuilder) bool { return b.Name == img.Spec.Builder.Name }) {
			c.fail(o, "builder %s/%s is not a ClusterBuilder here", img.Spec.Builder.Kind, img.Spec.Builder.Name)
		}
		n := 0
		if img.Spec.Source.Git != nil {
			n++
			if img.Spec.Source.Git.URL == "" || img.Spec.Source.Git.Revision == "" {
				c.fail(o, "source.git wants url and revision")
			}
		}
		if img.Spec.Source.Blob != nil {
			n++
		}
		if img.Spec.Source.Registry != nil {
			n++
		}
		if n != 1 {
			c.fail(o, "source: want exactly one of git, blob, registry (%d)", n)
		}
	}
}

func kpackOrder(order []kpackOrderEntry) []string {
	var out []string
	for _, e := range order {
		var ids []string
		for _, g := range e.Group {
			ids = append(ids, g.ID)
		}
		out = append(out, strings.Join(ids, " > "))
	}
	return out
}

// builderOrder reads the [[order]] groups of a builder.toml: the ids of each
// group, in order. (A line-based reader keeps this module free of a TOML
// library; builder.toml is ours.)
func builderOrder(path string) ([]string, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the repository's builder.toml
	if err != nil {
		return nil, err
	}
	var order []string
	var group []string
	inOrder := false
	flush := func() {
		if inOrder {
			order = append(order, strings.Join(group, " > "))
		}
		group = nil
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		switch {
		case l == "[[order]]":
			flush()
			inOrder = true
		case strings.HasPrefix(l, "[[order.group]]"):
		case strings.HasPrefix(l, "[") && l != "[[order.group]]":
			flush()
			inOrder = false
		case inOrder && strings.HasPrefix(l, "id"):
			_, v, _ := strings.Cut(l, "=")
			group = append(group, strings.Trim(strings.TrimSpace(v), `"`))
		}
	}
	flush()
	if len(order) == 0 {
		return nil, errors.New(path + ": no [[order]]")
	}
	return order, nil
}
