package api

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeCurl: README shows a curl call for every operation of the
// API, with its method.
func TestReadmeCurl(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var curls []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			curls = append(curls, line)
		}
	}
	s := New(newFake(), Options{})
	for _, rt := range s.routes() {
		pattern := regexp.QuoteMeta(rt.path)
		pattern = strings.NewReplacer(`\{name\}`, `[^/ ]+`, `\{id\}`, `[0-9]+`).Replace(pattern)
		re := regexp.MustCompile(`\$S` + pattern + `(\s|$)`)
		found := false
		for _, c := range curls {
			if re.MatchString(c) && (rt.method == "POST") == strings.Contains(c, "-X POST") {
				found = true
			}
		}
		if !found {
			t.Errorf("README has no curl example of %s %s", rt.method, rt.path)
		}
	}
}
