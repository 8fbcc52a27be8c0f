package debian

import (
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		wantErr string // "" for ok
	}{
		"object":                    {in: `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`},
		"same key in sibling":       {in: `[{"k":1},{"k":2}]`},
		"scalar":                    {in: ` 1 `},
		"nested empty":              {in: `{"a":{},"b":[],"c":[[]]}`},
		"duplicate at top":          {in: `{"a":1,"a":1}`, wantErr: `key "a" appears twice`},
		"duplicate nested":          {in: `{"x":[{"data":{"ref":"a","provider":"p","ref":"b"}}]}`, wantErr: `key "ref" appears twice`},
		"duplicate after container": {in: `{"a":{"b":1},"a":[]}`, wantErr: `key "a" appears twice`},
		"case":                      {in: `{"Kind":"List","kind":"List"}`, wantErr: "differ only in case"},
		"escaped spelling":          {in: `{"ref":"a","r\u0065f":"b"}`, wantErr: `key "ref" appears twice`},
		"key equal to a value":      {in: `{"a":"b","b":"a"}`},
		"two values":                {in: `{} {}`, wantErr: "more than one value"},
		"trailing garbage":          {in: `{}x`, wantErr: "not JSON"},
		"unclosed":                  {in: `{"a":[1`, wantErr: "not JSON"},
		"empty":                     {in: ` `, wantErr: "empty document"},
		"missing colon":             {in: `{"a" 1}`, wantErr: "not JSON"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := checkJSON([]byte(tc.in))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("checkJSON(%s): %v", tc.in, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("checkJSON(%s) = %v, want an error containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}
