package caddyconf

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/staticsite"
)

// The conditions reach the handlers under the names they read: what
// caddyconf writes decodes, strictly, into the proxy's condition matcher.
func TestConditionsJSONMatchesHandlers(t *testing.T) {
	c := config.Conditions{
		Query:    map[string]string{"id": ":id"},
		Language: []string{"fr"},
		Country:  []string{"BE"},
		Has:      []config.Match{{Type: "header", Key: "X-Beta", Value: "1|yes"}},
		Missing:  []config.Match{{Type: "cookie", Key: "seen"}},
	}
	data, err := json.Marshal(withConditions(obj{}, c, "X-Country"))
	if err != nil {
		t.Fatal(err)
	}
	var got staticsite.ConditionMatcher
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	want := staticsite.ConditionMatcher{CountryHeader: "X-Country", Conditions: staticsite.Conditions{
		Query:    map[string]string{"id": ":id"},
		Language: []string{"fr"},
		Country:  []string{"BE"},
		Has:      []staticsite.Match{{Type: "header", Key: "X-Beta", Value: "1|yes"}},
		Missing:  []staticsite.Match{{Type: "cookie", Key: "seen"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
}
