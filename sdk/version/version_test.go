package version

import (
	"math/big"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	// Each pair is older, newer.
	tests := map[string][2]string{
		"ubuntu serial point build":     {"20240423", "20240423.1"},
		"ubuntu serial newer day":       {"20240423.1", "20240424"},
		"ubuntu old serial":             {"20150227.2", "20240423"},
		"ubuntu serial point builds":    {"20240423.2", "20240423.10"},
		"debian dated build":            {"20250115-2000", "20250210-2019"},
		"debian same day":               {"20250210-2000", "20250210-2019"},
		"alpine point release":          {"3.19.1", "3.19.10"},
		"alpine 9 before 10":            {"3.19.9", "3.19.10"},
		"alpine branch":                 {"3.19.10", "3.20.0"},
		"alpine image revision":         {"3.22.1-r0", "3.22.1-r1"},
		"alpine revision 9 before 10":   {"3.22.1-r9", "3.22.1-r10"},
		"alpine revision vs release":    {"3.22.1-r1", "3.22.2-r0"},
		"ubuntu 20.04 22.04":            {"20.04", "22.04"},
		"ubuntu 22.04 24.04":            {"22.04", "24.04"},
		"ubuntu 24.04 26.04":            {"24.04", "26.04"},
		"r9 r10":                        {"r9", "r10"},
		"prefix is older":               {"3.19", "3.19.1"},
		"prefix letter":                 {"1", "1a"},
		"empty is oldest":               {"", "0"},
		"leading zeros ignored":         {"007", "10"},
		"fewer leading zeros first":     {"1.1", "1.01"},
		"zeros only break ties":         {"01.1", "1.2"},
		"first zero difference decides": {"1.001", "01.1"},
		"zero vs zeros":                 {"0", "00"},
		"longer than int64":             {"99999999999999999999", "100000000000000000000"},
		"dash before digits":            {"1-", "10"},
		"dash before dot, no rc rules":  {"3.19-rc1", "3.19.1"},
		"digits before letters":         {"1.2", "1.a"},
		"non-digit runs byte-wise":      {"a1", "ab"},
		"uppercase before lowercase":    {"B", "a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			older, newer := tc[0], tc[1]
			if got := Compare(older, newer); got != -1 {
				t.Errorf("Compare(%q, %q) = %d, want -1", older, newer, got)
			}
			if got := Compare(newer, older); got != 1 {
				t.Errorf("Compare(%q, %q) = %d, want 1", newer, older, got)
			}
			for _, s := range tc {
				if got := Compare(s, s); got != 0 {
					t.Errorf("Compare(%q, %q) = %d, want 0", s, s, got)
				}
			}
		})
	}
}

func TestSortAndNewest(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   []string
		want []string
	}{
		"ubuntu serials": {
			in:   []string{"20240423.1", "20150227.2", "20240423", "20240501", "20240423.10", "20240423.2"},
			want: []string{"20150227.2", "20240423", "20240423.1", "20240423.2", "20240423.10", "20240501"},
		},
		"debian builds": {
			in:   []string{"20250210-2019", "20250115-2000", "20250210-2000"},
			want: []string{"20250115-2000", "20250210-2000", "20250210-2019"},
		},
		"alpine": {
			in:   []string{"3.22.1-r1", "3.19.10", "3.22.1-r0", "3.19.1", "3.19.9", "3.20.0"},
			want: []string{"3.19.1", "3.19.9", "3.19.10", "3.20.0", "3.22.1-r0", "3.22.1-r1"},
		},
		"ubuntu releases": {
			in:   []string{"24.04", "26.04", "20.04", "22.04"},
			want: []string{"20.04", "22.04", "24.04", "26.04"},
		},
		"duplicates and zeros": {
			in:   []string{"1.01", "1.1", "1.1", "01.1"},
			want: []string{"1.1", "1.1", "1.01", "01.1"},
		},
		"one": {in: []string{"x"}, want: []string{"x"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := slices.Clone(tc.in)
			Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Sort (-want +got):\n%s", diff)
			}
			newest, ok := Newest(tc.in)
			if !ok || newest != tc.want[len(tc.want)-1] {
				t.Errorf("Newest = %q, %v; want %q", newest, ok, tc.want[len(tc.want)-1])
			}
		})
	}
}

func TestNewestEmpty(t *testing.T) {
	t.Parallel()
	for _, vs := range [][]string{nil, {}} {
		if got, ok := Newest(vs); ok || got != "" {
			t.Errorf("Newest(%q) = %q, %v; want \"\", false", vs, got, ok)
		}
	}
}

// reference is Compare written the slow, obvious way: split into runs, turn
// digit runs into big integers, compare the run lists, then the leading-zero
// counts.
func reference(a, b string) int {
	ra, rb := runs(a), runs(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		x, y := ra[i], rb[i]
		dx, dy := isDigit(x[0]), isDigit(y[0])
		switch {
		case dx && dy:
			var nx, ny big.Int
			nx.SetString(x, 10)
			ny.SetString(y, 10)
			if c := nx.Cmp(&ny); c != 0 {
				return c
			}
		case dx != dy || x != y:
			if x < y {
				return -1
			}
			return 1
		}
	}
	if len(ra) != len(rb) {
		if len(ra) < len(rb) {
			return -1
		}
		return 1
	}
	for i := range ra {
		if len(ra[i]) != len(rb[i]) { // same value, so they differ in zeros
			if len(ra[i]) < len(rb[i]) {
				return -1
			}
			return 1
		}
	}
	return 0
}

func runs(s string) []string {
	var out []string
	for s != "" {
		i := 1
		for i < len(s) && isDigit(s[i]) == isDigit(s[0]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

func FuzzCompare(f *testing.F) {
	seeds := [][3]string{
		{"20240423", "20240423.1", "20150227.2"},
		{"20250210-2019", "20250115-2000", "20250210-2000"},
		{"3.19.1", "3.19.10", "3.19.9"},
		{"3.22.1-r0", "3.22.1-r1", "3.22.1"},
		{"20.04", "22.04", "26.04"},
		{"1.1", "1.01", "01.1"},
		{"0", "00", ""},
		{"r9", "r10", "r09"},
		{"1-", "10", "1a"},
		{"99999999999999999999", "100000000000000000000", "1e20"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		vs := []string{a, b, c}
		for _, x := range vs {
			for _, y := range vs {
				got := Compare(x, y)
				if got != reference(x, y) {
					t.Fatalf("Compare(%q, %q) = %d, reference says %d", x, y, got, reference(x, y))
				}
				if got < -1 || got > 1 {
					t.Fatalf("Compare(%q, %q) = %d, want -1, 0 or 1", x, y, got)
				}
				if (got == 0) != (x == y) {
					t.Fatalf("Compare(%q, %q) = %d, inconsistent with ==", x, y, got)
				}
				if back := Compare(y, x); back != -got {
					t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", x, y, got, y, x, back)
				}
				if y != "" {
					if ext := Compare(x, x+y); ext != -1 {
						t.Fatalf("Compare(%q, %q) = %d, want -1: a string is older than itself extended", x, x+y, ext)
					}
				}
				for _, z := range vs {
					if Compare(x, y) <= 0 && Compare(y, z) <= 0 && Compare(x, z) > 0 {
						t.Fatalf("not transitive: %q <= %q <= %q but Compare(%q, %q) > 0", x, y, z, x, z)
					}
				}
			}
		}
		sorted := slices.Clone(vs)
		Sort(sorted)
		if !slices.IsSortedFunc(sorted, Compare) {
			t.Fatalf("Sort(%q) = %q, not sorted", vs, sorted)
		}
		for _, p := range [][]string{{b, c, a}, {c, a, b}, {c, b, a}} {
			again := slices.Clone(p)
			Sort(again)
			if !slices.Equal(sorted, again) {
				t.Fatalf("Sort depends on input order: %q and %q", sorted, again)
			}
		}
		if newest, ok := Newest(vs); !ok || newest != sorted[2] {
			t.Fatalf("Newest(%q) = %q, %v; want %q", vs, newest, ok, sorted[2])
		}
	})
}
