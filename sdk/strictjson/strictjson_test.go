package strictjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk/strictjson"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := map[string]struct {
		in     string
		limits strictjson.Limits
		want   string // "" = accepted
	}{
		"object":               {`{"a": [1, 2, {"b": null}], "c": "x"}`, strictjson.Limits{}, ""},
		"scalar":               {`  "x"  `, strictjson.Limits{}, ""},
		"64 deep":              {deep(64), strictjson.Limits{}, ""},
		"65 deep":              {deep(65), strictjson.Limits{}, "nested deeper than 64 levels"},
		"brackets in a string": {`{"a": "[[[[{{{{\"]]]"}`, strictjson.Limits{Depth: 1}, ""},
		"deep under a limit":   {deep(3), strictjson.Limits{Depth: 2}, "nested deeper than 2 levels at offset 10"},
		"duplicate key":        {`{"a": 1, "a": 2}`, strictjson.Limits{}, `key "a" appears twice in one object`},
		"case duplicate":       {`{"ref": 1, "Ref": 2}`, strictjson.Limits{}, `keys "ref" and "Ref" in one object differ only in case`},
		"same key, two objs":   {`[{"a": 1}, {"a": 2}]`, strictjson.Limits{}, ""},
		"two values":           {`{} {}`, strictjson.Limits{}, "data after the value"},
		"trailing garbage":     {`{"a":1} x`, strictjson.Limits{}, "data after the value"},
		"empty":                {"  ", strictjson.Limits{}, "empty document"},
		"truncated":            {`{"a": [1,`, strictjson.Limits{}, "not JSON"},
		"html":                 {"\n<!DOCTYPE html><html>", strictjson.Limits{}, "looks like an HTML page"},
		"huge number":          {`[1e999]`, strictjson.Limits{}, "out of range"},
		"too long":             {`[1, 2, 3]`, strictjson.Limits{Bytes: 5}, "9 bytes, more than the 5-byte limit"},
		"escaped spelling":     {`{"ref":"a","r\u0065f":"b"}`, strictjson.Limits{}, `key "ref" appears twice`},
		"dup after container":  {`{"a":{"b":1},"a":[]}`, strictjson.Limits{}, `key "a" appears twice`},
		"key equal to a value": {`{"a":"b","b":"a"}`, strictjson.Limits{}, ""},
		"missing colon":        {`{"a" 1}`, strictjson.Limits{}, "not JSON"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := strictjson.Check([]byte(tc.in), tc.limits)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := strictjson.Check([]byte("<html>"), strictjson.Limits{}); !errors.Is(err, strictjson.ErrHTML) {
		t.Errorf("an HTML page: %v, want ErrHTML", err)
	}
}

// TestDeepInputCostsNothing: 16 MiB of nesting is refused by the scan, not
// by building 8 million frames.
func TestDeepInputCostsNothing(t *testing.T) {
	data := []byte(strings.Repeat(`{"a":`, 16<<20/5))
	allocs := testing.AllocsPerRun(1, func() {
		if err := strictjson.Check(data, strictjson.Limits{}); err == nil {
			t.Error("accepted")
		}
	})
	if allocs > 20 {
		t.Errorf("%v allocations to refuse a deep document", allocs)
	}
}

func TestUnmarshal(t *testing.T) {
	t.Parallel()
	var v struct{ Ref string }
	if err := strictjson.Unmarshal([]byte(`{"ref": "a"}`), &v, strictjson.Limits{}); err != nil || v.Ref != "a" {
		t.Errorf("Unmarshal: %v, %+v", err, v)
	}
	if err := strictjson.Unmarshal([]byte(`{"ref": 1}`), &v, strictjson.Limits{}); err == nil {
		t.Error("a number for a string field was accepted")
	}
}

// FuzzCheck: Check accepts only valid JSON, and refuses valid JSON only for
// a repeated key, a number out of range or nesting past the limit.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c"}]}`, `{"a":1,"A":2}`, `[[[[[]]]]]`, `"\"{"`, `1 2`, `{"\u0061":1,"a":2}`, `{"a":[}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := strictjson.Check(data, strictjson.Limits{Depth: 8})
		valid := json.Valid(data)
		switch {
		case err == nil && !valid:
			t.Fatalf("accepted invalid JSON %q", data)
		case err != nil && valid:
			for _, why := range []string{"twice", "differ only in case", "out of range", "nested deeper"} {
				if strings.Contains(err.Error(), why) {
					return
				}
			}
			t.Fatalf("refused valid JSON %q: %v", data, err)
		}
	})
}
