package launch

import (
	"slices"
	"strings"
	"testing"
)

func TestRuntimeSwitches(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		environ []string
		check   func(t *testing.T, log string, names []string, metrics string, retry int)
		err     string
	}{
		{env: map[string]string{}, environ: []string{"PUBLIC_A=1", "PUBLICX=2", "SECRET=3", "PUBLIC_B=x=y"},
			check: func(t *testing.T, log string, names []string, metrics string, retry int) {
				if strings.Join(names, ",") != "PUBLIC_A,PUBLIC_B" || retry != DefaultRetryAfter || metrics != "" {
					t.Errorf("names %q retry %d metrics %q", names, retry, metrics)
				}
				if !strings.Contains(log, "expose PUBLIC_A, PUBLIC_B (the PUBLIC_* variables") || strings.Contains(log, "x=y") {
					t.Errorf("log: %s", log)
				}
			}},
		{env: map[string]string{PublicPrefixEnv: "APP_"}, environ: []string{"APP_X=1", "APP_USERS=alice:hash", "PUBLIC_A=1"},
			check: func(t *testing.T, _ string, names []string, _ string, _ int) {
				if strings.Join(names, ",") != "APP_X" {
					t.Errorf("names %q: the users' variable or another prefix leaked", names)
				}
			}},
		{env: map[string]string{PublicPrefixEnv: "S"}, environ: []string{"STATIC_MANIFEST=x", "SECRET=y"},
			err: `STATIC_PUBLIC_PREFIX="S": the prefix must be`},
		{env: map[string]string{PublicPrefixEnv: ""}, err: `STATIC_PUBLIC_PREFIX="": the prefix must be`},
		{env: map[string]string{MetricsListenEnv: "9090", RetryAfterEnv: "60"},
			check: func(t *testing.T, log string, _ []string, metrics string, retry int) {
				if metrics != ":9090" || retry != 60 || !strings.Contains(log, "http://0.0.0.0:9090/metrics") {
					t.Errorf("metrics %q retry %d log %s", metrics, retry, log)
				}
			}},
		{env: map[string]string{MetricsListenEnv: "127.0.0.1:8080"}, err: "metrics are never served on the public port"},
		{env: map[string]string{MetricsListenEnv: "nope"}, err: `STATIC_METRICS_LISTEN="nope" is not a listen address`},
		{env: map[string]string{RetryAfterEnv: "0"}, err: "STATIC_MAINTENANCE_RETRY_AFTER"},
		{env: map[string]string{MaintenanceEnv: "soon"}, err: `STATIC_MAINTENANCE="soon": use true or false`},
	} {
		var log strings.Builder
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		rt, err := runtimeSwitches(lookup, tc.environ, "APP_USERS", ":8080", &log)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		var names []string
		for n := range rt.PublicEnv {
			names = append(names, n)
		}
		slices.Sort(names)
		tc.check(t, log.String(), names, rt.MetricsListen, rt.RetryAfter)
	}
}
