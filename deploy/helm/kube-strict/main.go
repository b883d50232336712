// kube-strict decodes rendered Kubernetes manifests (multi-document YAML on stdin) into the
// Kubernetes API's own Go types with the API server's strict decoder: an unknown field, a duplicate
// field, a field in the wrong case or a value of the wrong type is an error, as with
// `kubectl apply --validate=strict`. It needs no cluster. Kinds from outside the core API (KEDA's)
// are listed as skipped: deploy/helm/validate-schemas.ts checks those against their schemas.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The kinds the chart may render; anything else from a core group is an error, so a new template
// cannot slip past unchecked.
var types = map[string]func() any{
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
}

var external = map[string]bool{"keda.sh/v1alpha1": true}

func main() {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	checked, skipped, failed := 0, 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "kube-strict: reading YAML: %v\n", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		// Strict YAML: a key given twice is an error, not "the last one wins".
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: not valid YAML: %v\n%s\n", err, doc)
			failed++
			continue
		}
		var meta struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &meta); err != nil || meta.Kind == "" || meta.APIVersion == "" {
			fmt.Fprintf(os.Stderr, "FAIL: an object without apiVersion and kind\n%s\n", doc)
			failed++
			continue
		}
		id := fmt.Sprintf("%s %s/%s", meta.APIVersion, meta.Kind, meta.Metadata.Name)
		newObject, known := types[meta.APIVersion+"/"+meta.Kind]
		if !known {
			if external[meta.APIVersion] {
				fmt.Printf("skip  %s (not a core API kind)\n", id)
				skipped++
				continue
			}
			fmt.Fprintf(os.Stderr, "FAIL: %s: kind not known to kube-strict\n", id)
			failed++
			continue
		}
		strictErrs, err := kjson.UnmarshalStrict(js, newObject())
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %s: %v\n", id, err)
			failed++
			continue
		}
		if len(strictErrs) > 0 {
			for _, e := range strictErrs {
				fmt.Fprintf(os.Stderr, "FAIL: %s: %v\n", id, e)
			}
			failed++
			continue
		}
		fmt.Printf("ok    %s\n", id)
		checked++
	}
	fmt.Printf("kube-strict: %d objects decoded strictly, %d skipped, %d failed\n", checked, skipped, failed)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}

// stripComments drops comment-only lines, so a document that holds only comments (a template
// whose condition was false) counts as empty.
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
